//! Staff identity at the edge: signing in and the session ([`auth`]), permissions as types
//! ([`permission`]), the roles that hold them ([`roles`]) and the users that hold roles ([`users`]).

pub mod auth;
pub mod permission;
pub mod roles;
pub mod users;

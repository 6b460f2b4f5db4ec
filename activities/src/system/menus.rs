//! 菜单管理 (SYS-1): the side menu and the permission-gated buttons as data. Administrators rename,
//! reorder and hide entries; each user's menu is the visible entries of their kind (bank staff or a
//! merchant's users: the merchant portal) whose permission they hold.

use crate::audit::{self, Entry};
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgPool;
use uuid::Uuid;

/// One entry of the menu tree, with the entries below it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct MenuNode {
    pub id: Uuid,
    /// `menu` (a group or a page) or `button` (an action on its parent page).
    pub kind: String,
    /// Stable key; the UI maps it to an icon.
    pub key: String,
    pub title_zh: String,
    pub title_en: String,
    /// The page's route; `None` for groups and buttons.
    pub route: Option<String>,
    /// Needed to see the entry; `None`: every signed-in user.
    pub permission: Option<String>,
    pub sort: i32,
    pub visible: bool,
    /// Whose menu shows the entry: `all`, `staff` (bank staff only) or `merchant` (the merchant
    /// portal: a merchant's users only), whatever the permissions they hold.
    pub audience: String,
    #[schema(no_recursion)]
    pub children: Vec<MenuNode>,
}

/// A stored row: a node without children, and its parent.
#[derive(Debug, Clone)]
pub struct MenuRow {
    pub parent_id: Option<Uuid>,
    pub node: MenuNode,
}

/// Every entry, siblings in their order.
#[tracing::instrument(skip(pool))]
pub async fn rows(pool: &PgPool) -> Result<Vec<MenuRow>, sqlx::Error> {
    let rows = sqlx::query!(
        "SELECT id, parent_id, kind, key, title_zh, title_en, route, permission, sort, visible,
                audience
           FROM menus ORDER BY sort, key"
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| MenuRow {
            parent_id: r.parent_id,
            node: MenuNode {
                id: r.id,
                kind: r.kind,
                key: r.key,
                title_zh: r.title_zh,
                title_en: r.title_en,
                route: r.route,
                permission: r.permission,
                sort: r.sort,
                visible: r.visible,
                audience: r.audience,
                children: Vec::new(),
            },
        })
        .collect())
}

/// The rows as a tree, keeping the rows' order among siblings.
pub fn tree(rows: &[MenuRow]) -> Vec<MenuNode> {
    fn children_of(rows: &[MenuRow], parent: Option<Uuid>) -> Vec<MenuNode> {
        rows.iter()
            .filter(|r| r.parent_id == parent)
            .map(|r| MenuNode {
                children: children_of(rows, Some(r.node.id)),
                ..r.node.clone()
            })
            .collect()
    }
    children_of(rows, None)
}

/// A user's side menu: visible menu entries (no buttons) for users of `kind` (`staff` or
/// `merchant`) whose permission `has` grants; a group (an entry without a route) only when some
/// entry below it survives.
pub fn visible_menu(tree: &[MenuNode], kind: &str, has: &dyn Fn(&str) -> bool) -> Vec<MenuNode> {
    tree.iter()
        .filter(|n| n.kind == "menu" && n.visible)
        .filter(|n| n.audience == "all" || n.audience == kind)
        .filter(|n| n.permission.as_deref().is_none_or(has))
        .filter_map(|n| {
            let children = visible_menu(&n.children, kind, has);
            if n.route.is_none() && children.is_empty() {
                return None;
            }
            Some(MenuNode {
                children,
                ..n.clone()
            })
        })
        .collect()
}

pub struct MenuChange {
    pub title_zh: String,
    pub title_en: String,
    pub sort: i32,
    pub visible: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    UnknownMenu,
    /// Buttons show by permission alone; hiding one would only hide what the role still allows.
    ButtonAlwaysShown,
}

/// Renames, reorders, hides or shows one entry; audited with before and after.
#[tracing::instrument(skip(pool, by, change))]
pub async fn update(
    pool: &PgPool,
    by: Entry,
    id: Uuid,
    change: MenuChange,
    now: DateTime<Utc>,
) -> Result<Result<(), Refusal>, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let Some(before) = sqlx::query!(
        "SELECT kind, key, title_zh, title_en, sort, visible FROM menus WHERE id = $1 FOR UPDATE",
        id
    )
    .fetch_optional(&mut *tx)
    .await?
    else {
        return Ok(Err(Refusal::UnknownMenu));
    };
    if before.kind == "button" && !change.visible {
        return Ok(Err(Refusal::ButtonAlwaysShown));
    }
    sqlx::query!(
        "UPDATE menus SET title_zh = $2, title_en = $3, sort = $4, visible = $5 WHERE id = $1",
        id,
        change.title_zh,
        change.title_en,
        change.sort,
        change.visible
    )
    .execute(&mut *tx)
    .await?;
    let entry = Entry {
        action: "system.menu.update",
        target: Some(before.key),
        before: Some(serde_json::json!({
            "title_zh": before.title_zh, "title_en": before.title_en,
            "sort": before.sort, "visible": before.visible,
        })),
        after: Some(serde_json::json!({
            "title_zh": change.title_zh, "title_en": change.title_en,
            "sort": change.sort, "visible": change.visible,
        })),
        ..by
    };
    audit::append(&mut tx, now, entry).await?;
    tx.commit().await?;
    Ok(Ok(()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(
        id: u128,
        parent: Option<u128>,
        kind: &str,
        route: Option<&str>,
        permission: Option<&str>,
    ) -> MenuRow {
        MenuRow {
            parent_id: parent.map(Uuid::from_u128),
            node: MenuNode {
                id: Uuid::from_u128(id),
                kind: kind.to_owned(),
                key: format!("k{id}"),
                title_zh: "标题".to_owned(),
                title_en: "Title".to_owned(),
                route: route.map(str::to_owned),
                permission: permission.map(str::to_owned),
                sort: 0,
                visible: true,
                audience: "all".to_owned(),
                children: Vec::new(),
            },
        }
    }

    fn keys(nodes: &[MenuNode]) -> Vec<String> {
        nodes
            .iter()
            .flat_map(|n| std::iter::once(n.key.clone()).chain(keys(&n.children)))
            .collect()
    }

    fn sample() -> Vec<MenuRow> {
        vec![
            row(1, None, "menu", Some("/home"), None),
            row(2, None, "menu", None, None),
            row(
                3,
                Some(2),
                "menu",
                Some("/system/users"),
                Some("system:user:view"),
            ),
            row(4, Some(3), "button", None, Some("system:user:create")),
            row(
                5,
                Some(2),
                "menu",
                Some("/system/orgs"),
                Some("system:org:view"),
            ),
        ]
    }

    #[test]
    fn the_tree_nests_children_under_their_parents() {
        let tree = tree(&sample());
        assert_eq!(keys(&tree), ["k1", "k2", "k3", "k4", "k5"]);
        assert_eq!(tree[1].children.len(), 2);
        assert_eq!(tree[1].children[0].children[0].kind, "button");
    }

    #[test]
    fn a_user_sees_held_visible_pages_without_buttons_and_groups_only_with_children() {
        let full = tree(&sample());
        let admin = visible_menu(&full, "staff", &|p| p.starts_with("system:"));
        assert_eq!(keys(&admin), ["k1", "k2", "k3", "k5"]);
        let orgs_only = visible_menu(&full, "staff", &|p| p == "system:org:view");
        assert_eq!(keys(&orgs_only), ["k1", "k2", "k5"]);
        let nobody = visible_menu(&full, "staff", &|_| false);
        assert_eq!(keys(&nobody), ["k1"], "an empty group disappears");
        let mut rows = sample();
        rows[4].node.visible = false;
        let hidden = visible_menu(&tree(&rows), "staff", &|p| p == "system:org:view");
        assert_eq!(
            keys(&hidden),
            ["k1"],
            "a hidden page, and with it its group"
        );
    }

    #[test]
    fn each_kind_of_user_sees_the_entries_of_its_kind_only() {
        let mut rows = sample();
        rows[1].node.audience = "staff".to_owned();
        rows.push(row(6, None, "menu", None, None));
        rows[5].node.audience = "merchant".to_owned();
        rows.push(row(
            7,
            Some(6),
            "menu",
            Some("/merchant/portal/stores"),
            Some("system:org:view"),
        ));
        let full = tree(&rows);
        let holds = |p: &str| p == "system:org:view";
        assert_eq!(
            keys(&visible_menu(&full, "staff", &holds)),
            ["k1", "k2", "k5"]
        );
        assert_eq!(
            keys(&visible_menu(&full, "merchant", &holds)),
            ["k1", "k6", "k7"],
            "the same permission, the merchant portal's entry only"
        );
    }
}

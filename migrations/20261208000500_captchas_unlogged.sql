-- Captchas are one-try, five-minute rows nobody needs after a crash (a user asks for a new one):
-- unlogged, they cost no WAL, and the two statements of each sign-in that write them commit
-- without waiting for a WAL flush (issue 22). A standby has none, which is right: only the
-- primary answers sign-ins.
ALTER TABLE captchas SET UNLOGGED;

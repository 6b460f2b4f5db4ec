-- Issue 22: 待办 of a user none of whose roles any open task asks for (a planner, say) walked every
-- open task of the bank in created order to find none (seeded bank, 25,000 open tasks: 200-230 ms
-- a page, the same again for its count). The inbox now asks first, through this index, whether
-- any unassigned open task names one of the user's roles, and skips the walk when none does.
CREATE INDEX tasks_open_roles_idx ON tasks USING gin (candidate_roles)
    WHERE status = 'open' AND assignee IS NULL;


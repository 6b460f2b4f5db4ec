-- Issue 15: one word for the inbox everywhere, 待办 (the menu said 代办任务).
UPDATE menus SET title_zh = '待办任务' WHERE key = 'process-tasks' AND title_zh = '代办任务';

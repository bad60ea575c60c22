-- 0005: the trading partner (a GLN) whose credentials captured each event, so that a partner
-- sees the events it captured as well as those naming it (`serialhub serve`). NULL when the
-- capturer acts for no partner (an operator, `serialhub import`).
ALTER TABLE events ADD COLUMN captured_by text;

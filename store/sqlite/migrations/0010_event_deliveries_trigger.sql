-- An event's webhook deliveries are created by the engine as the event is
-- inserted, instead of by a second statement from the store: every change of
-- a transaction or mint appends an event (seven per mint), and the second
-- statement cost as much as the insert itself whether or not any webhook
-- listened. A webhook subscribes to a type ("mint.confirmed"), its family
-- ("mint.*") or everything ("*").
CREATE TRIGGER events_deliveries AFTER INSERT ON events
BEGIN
	INSERT INTO webhook_deliveries (webhook_id, event_seq, subject, status, attempts, next_attempt_at, created_at)
	SELECT webhook_id, NEW.seq, NEW.subject, 'pending', 0, NEW.created_at, NEW.created_at FROM webhook_events
	WHERE pattern IN (NEW.type, substr(NEW.type, 1, instr(NEW.type, '.')) || '*', '*')
	ON CONFLICT (webhook_id, event_seq) DO NOTHING;
END;

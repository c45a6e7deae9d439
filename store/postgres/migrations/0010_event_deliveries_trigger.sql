-- An event's webhook deliveries are created by the engine as the event is
-- inserted, instead of by a second statement (a second round trip) from the
-- store: every change of a transaction or mint appends an event (seven per
-- mint). A webhook subscribes to a type ("mint.confirmed"), its family
-- ("mint.*") or everything ("*").
CREATE FUNCTION events_deliveries() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO webhook_deliveries (webhook_id, event_seq, subject, status, attempts, next_attempt_at, created_at)
	SELECT webhook_id, NEW.seq, NEW.subject, 'pending', 0, NEW.created_at, NEW.created_at FROM webhook_events
	WHERE pattern IN (NEW.type, CASE WHEN strpos(NEW.type, '.') > 0 THEN split_part(NEW.type, '.', 1) || '.*' ELSE NEW.type END, '*')
	ON CONFLICT (webhook_id, event_seq) DO NOTHING;
	RETURN NULL;
END $$;
CREATE TRIGGER events_deliveries AFTER INSERT ON events FOR EACH ROW EXECUTE FUNCTION events_deliveries();

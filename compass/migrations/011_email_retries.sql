-- Email retries spread over a day (the spec: three attempts over 24 hours). A failed
-- attempt sets next_attempt_at; the worker's sweep sends each email when it falls due, or
-- sooner once the SMTP server answers again after being unreachable.
ALTER TABLE emails ADD COLUMN next_attempt_at TEXT;
CREATE INDEX emails_due ON emails(status, next_attempt_at);

-- For the operator: emails that gave up, and mail that is late (an attempt failed and
-- another is waiting, or nothing has gone out for 15 minutes).
DROP VIEW IF EXISTS emails_needing_attention;
CREATE VIEW emails_needing_attention AS
SELECT e.id, e.kind, o.order_number, e.to_address, e.status, e.attempts, e.last_error,
       e.next_attempt_at, e.created_at, e.updated_at
FROM emails e LEFT JOIN orders o ON o.id = e.order_id
WHERE e.status = 'failed'
   OR (e.status IN ('pending', 'sending')
       AND (e.last_error IS NOT NULL
            OR e.created_at < strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-15 minutes')))
ORDER BY e.updated_at;

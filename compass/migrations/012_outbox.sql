-- Work requested by a transaction (queue a paid order, send its receipt, make a refund),
-- written in that same transaction and deleted once the job is on the queue. A process
-- killed between its commit and the enqueue leaves the row, and the worker's sweep queues
-- the job a few seconds later (compass.queue.after_commit, compass.reconciler).
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY,
    job TEXT NOT NULL,
    args_json TEXT NOT NULL,
    created_at TEXT NOT NULL
);

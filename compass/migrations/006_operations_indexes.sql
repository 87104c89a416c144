-- Indexes for the scrape-time metrics and the admin figures. ai_calls rows carry the
-- model's whole answer, so a scan of the table reads megabytes per thousand calls; these
-- covering indexes answer the sums without touching the rows.

-- /metrics: calls, tokens, cost and latency per model and status.
CREATE INDEX ai_calls_usage ON ai_calls(model, status, input_tokens, output_tokens,
    cache_read_tokens, cache_write_tokens, cost_microusd, latency_ms);

-- /admin and the daily summary: AI spend in a time window, per order (hence per tier).
CREATE INDEX ai_calls_spend ON ai_calls(created_at, order_id, cost_microusd);

-- Windows over payment and completion times.
CREATE INDEX orders_paid_at ON orders(paid_at);
CREATE INDEX orders_completed_at ON orders(completed_at);
CREATE INDEX order_events_created ON order_events(created_at, to_status);

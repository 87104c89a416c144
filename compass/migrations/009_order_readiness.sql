-- The order form's optional readiness answers travel inside orders.input_json (so erasing
-- a customer's input erases them too, and the engine reads one document). This view lays
-- them out for the operator at the sqlite3 prompt; nothing in the application reads it.
DROP VIEW IF EXISTS order_readiness;
CREATE VIEW order_readiness AS
SELECT o.id AS order_id, o.order_number, o.tier, o.status,
       json_extract(o.input_json, '$.systems_in_use') AS systems_in_use,
       json_extract(o.input_json, '$.data_location') AS data_location,
       json_extract(o.input_json, '$.ai_comfort') AS ai_comfort,
       json_extract(o.input_json, '$.tool_budget') AS tool_budget,
       json_extract(o.input_json, '$.timeline') AS timeline,
       json_extract(o.input_json, '$.pain_hours_per_week') AS pain_hours_per_week,
       json_extract(o.input_json, '$.pain_people') AS pain_people,
       json_extract(o.input_json, '$.pain_cost_per_hour') AS pain_cost_per_hour
FROM orders o;

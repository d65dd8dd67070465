WITH flows AS (
  SELECT *, lower(proto) || '/' || CAST(dest_port AS VARCHAR) AS service FROM eve
  WHERE event_type = 'flow' AND proto IN ('TCP', 'UDP')
), marked AS (
  SELECT *,
    (src_ip IN (SELECT ip FROM inv_devices) AND src_ip || '|' || service NOT IN (SELECT key FROM inv_allowed_services)) AS src_off,
    (dest_ip IN (SELECT ip FROM inv_devices) AND dest_ip || '|' || service NOT IN (SELECT key FROM inv_allowed_services)) AS dest_off
  FROM flows
)
SELECT CASE WHEN src_off THEN src_ip ELSE dest_ip END AS device_ip, d.name AS device, service,
  count(*) AS flows, min(timestamp) AS first_seen, max(timestamp) AS last_seen
FROM marked LEFT JOIN inv_devices d ON d.ip = CASE WHEN src_off THEN src_ip ELSE dest_ip END
WHERE src_off OR dest_off
GROUP BY ALL ORDER BY device_ip, service

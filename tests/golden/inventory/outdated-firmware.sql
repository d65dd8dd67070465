WITH seen AS (
  SELECT unnest([src_ip, dest_ip]) AS ip, timestamp FROM eve WHERE event_type = 'flow'
)
SELECT d.name AS device, d.vendor, d.model, d.firmware, p.minimum,
  count(*) AS flows, min(timestamp) AS first_seen, max(timestamp) AS last_seen
FROM seen JOIN inv_devices d ON d.ip = seen.ip
JOIN inv_firmware_policy p ON p.vendor = d.vendor AND p.model = d.model
WHERE d.firmware_key < p.minimum_key
GROUP BY ALL ORDER BY device

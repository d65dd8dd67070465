SELECT src_ip, count(*) AS flows, min(timestamp) AS first_seen, max(timestamp) AS last_seen
FROM eve
WHERE event_type = 'flow' AND (iotdetect_net_IOT_NET(src_ip) OR iotdetect_net_OT_NET(src_ip))
  AND src_ip NOT IN (SELECT ip FROM inv_devices)
GROUP BY src_ip ORDER BY src_ip

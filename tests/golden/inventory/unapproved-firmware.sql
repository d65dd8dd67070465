SELECT dest_ip, d.name AS device, count(*) AS downloads, min(timestamp) AS first_seen, max(timestamp) AS last_seen
FROM eve LEFT JOIN inv_devices d ON d.ip = eve.dest_ip
WHERE event_type = 'fileinfo' AND http->>'http_content_type' = 'application/octet-stream'
  AND fileinfo->>'sha256' IS NOT NULL AND (iotdetect_net_IOT_NET(dest_ip) OR iotdetect_net_OT_NET(dest_ip))
  AND fileinfo->>'sha256' NOT IN (SELECT sha256 FROM inv_approved_firmware)
GROUP BY ALL ORDER BY dest_ip

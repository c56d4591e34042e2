SELECT
  useridentity.type AS identity_type,
  CASE WHEN useridentity.type IN ('AssumedRole', 'FederatedUser') AND useridentity.sessioncontext.sessionissuer.arn IS NOT NULL THEN NULL ELSE useridentity.arn END AS identity_arn,
  useridentity.accountid AS identity_account,
  useridentity.invokedby AS invoked_by,
  useridentity.username AS user_name,
  useridentity.sessioncontext.sessionissuer.arn AS issuer_arn,
  eventtype AS event_type,
  eventsource AS event_source,
  eventname AS event_name,
  awsregion AS aws_region,
  recipientaccountid AS recipient_account,
  apiversion AS api_version,
  errorcode AS error_code,
  CASE WHEN eventsource = 'dynamodb.amazonaws.com' THEN COALESCE(TRY(json_format(CAST(map_concat(map_filter(CAST(json_parse(requestparameters) AS MAP(VARCHAR, JSON)), (k, v) -> NOT contains(ARRAY['clientToken', 'clientRequestToken', 'key', 'item', 'exclusiveStartKey', 'expressionAttributeValues'], k)), map_filter(MAP(ARRAY['clientToken', 'clientRequestToken', 'key', 'item', 'exclusiveStartKey', 'expressionAttributeValues'], ARRAY[CASE WHEN json_format(json_extract(requestparameters, '$.clientToken')) IS NULL OR json_format(json_extract(requestparameters, '$.clientToken')) IN ('null', '""', 'false', '[]', '{}') THEN NULL WHEN json_extract_scalar(requestparameters, '$.clientToken') LIKE 'arn:%' THEN CAST(json_extract_scalar(requestparameters, '$.clientToken') AS JSON) ELSE JSON '1' END, CASE WHEN json_format(json_extract(requestparameters, '$.clientRequestToken')) IS NULL OR json_format(json_extract(requestparameters, '$.clientRequestToken')) IN ('null', '""', 'false', '[]', '{}') THEN NULL WHEN json_extract_scalar(requestparameters, '$.clientRequestToken') LIKE 'arn:%' THEN CAST(json_extract_scalar(requestparameters, '$.clientRequestToken') AS JSON) ELSE JSON '1' END, CASE WHEN json_format(json_extract(requestparameters, '$.key')) IS NULL OR json_format(json_extract(requestparameters, '$.key')) IN ('null', '""', 'false', '[]', '{}') THEN NULL WHEN json_extract_scalar(requestparameters, '$.key') LIKE 'arn:%' THEN CAST(json_extract_scalar(requestparameters, '$.key') AS JSON) ELSE JSON '1' END, CASE WHEN json_format(json_extract(requestparameters, '$.item')) IS NULL OR json_format(json_extract(requestparameters, '$.item')) IN ('null', '""', 'false', '[]', '{}') THEN NULL WHEN json_extract_scalar(requestparameters, '$.item') LIKE 'arn:%' THEN CAST(json_extract_scalar(requestparameters, '$.item') AS JSON) ELSE JSON '1' END, CASE WHEN json_format(json_extract(requestparameters, '$.exclusiveStartKey')) IS NULL OR json_format(json_extract(requestparameters, '$.exclusiveStartKey')) IN ('null', '""', 'false', '[]', '{}') THEN NULL WHEN json_extract_scalar(requestparameters, '$.exclusiveStartKey') LIKE 'arn:%' THEN CAST(json_extract_scalar(requestparameters, '$.exclusiveStartKey') AS JSON) ELSE JSON '1' END, CASE WHEN json_format(json_extract(requestparameters, '$.expressionAttributeValues')) IS NULL OR json_format(json_extract(requestparameters, '$.expressionAttributeValues')) IN ('null', '""', 'false', '[]', '{}') THEN NULL WHEN json_extract_scalar(requestparameters, '$.expressionAttributeValues') LIKE 'arn:%' THEN CAST(json_extract_scalar(requestparameters, '$.expressionAttributeValues') AS JSON) ELSE JSON '1' END]), (k, v) -> v IS NOT NULL)) AS JSON))), requestparameters) WHEN strpos(requestparameters, 'Token"') > 0 THEN COALESCE(TRY(json_format(CAST(map_concat(map_filter(CAST(json_parse(requestparameters) AS MAP(VARCHAR, JSON)), (k, v) -> NOT contains(ARRAY['clientToken', 'clientRequestToken'], k)), map_filter(MAP(ARRAY['clientToken', 'clientRequestToken'], ARRAY[CASE WHEN json_format(json_extract(requestparameters, '$.clientToken')) IS NULL OR json_format(json_extract(requestparameters, '$.clientToken')) IN ('null', '""', 'false', '[]', '{}') THEN NULL WHEN json_extract_scalar(requestparameters, '$.clientToken') LIKE 'arn:%' THEN CAST(json_extract_scalar(requestparameters, '$.clientToken') AS JSON) ELSE JSON '1' END, CASE WHEN json_format(json_extract(requestparameters, '$.clientRequestToken')) IS NULL OR json_format(json_extract(requestparameters, '$.clientRequestToken')) IN ('null', '""', 'false', '[]', '{}') THEN NULL WHEN json_extract_scalar(requestparameters, '$.clientRequestToken') LIKE 'arn:%' THEN CAST(json_extract_scalar(requestparameters, '$.clientRequestToken') AS JSON) ELSE JSON '1' END]), (k, v) -> v IS NOT NULL)) AS JSON))), requestparameters) ELSE requestparameters END AS request_parameters,
  NULLIF(array_join(transform(resources, r -> r.arn), chr(10)), '') AS resource_arns,
  COUNT(*) AS events,
  MIN(eventtime) AS first_seen,
  MAX(eventtime) AS last_seen
FROM "AwsDataCatalog"."default"."cloudtrail_logs"
WHERE COALESCE(recipientaccountid, useridentity.accountid) IN ('111122223333')
  AND awsregion IN ('us-east-1')
  AND TRY(from_iso8601_timestamp(eventtime)) >= from_iso8601_timestamp('2026-11-01T00:00:00.000Z')
  AND TRY(from_iso8601_timestamp(eventtime)) <= from_iso8601_timestamp('2026-11-02T23:59:59.999Z')
  AND account IN ('111122223333')
  AND region IN ('us-east-1')
  AND "timestamp" >= '2026/11/01'
  AND "timestamp" <= '2026/11/02'
GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15
ORDER BY first_seen, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15

/* ---------------------------------------------------------------------
 * Webhooks (maintenance-listen --webhook), since 0.4.0
 *
 * An event whose every webhook attempt failed is recorded here before the
 * listener's cursor moves past it; `maintenance-listen --webhook URL
 * --retry-failed` delivers the recorded events of URL again and removes
 * the rows of those it delivered.  URLs are recorded without user name,
 * password, query or fragment (the listener strips them; the function
 * refuses a URL that still has them).  12_privileges.sql revokes
 * everything from PUBLIC: like the write functions, these three need an
 * explicit grant.
 * ------------------------------------------------------------------ */

CREATE TABLE maintenance.webhook_failures (
    event_id bigint NOT NULL,
    url text NOT NULL,
    attempts integer NOT NULL,
    last_status integer,
    last_error text NOT NULL,
    first_failed_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
    failed_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
    CONSTRAINT webhook_failures_pkey PRIMARY KEY (event_id, url),
    CONSTRAINT webhook_failures_attempts_check CHECK (attempts OPERATOR(pg_catalog.>) 0),
    CONSTRAINT webhook_failures_status_check
        CHECK (last_status OPERATOR(pg_catalog.>=) 100 AND last_status OPERATOR(pg_catalog.<=) 599)
);

COMMENT ON TABLE maintenance.webhook_failures IS
    'events a webhook endpoint did not take after every attempt (maintenance-listen --webhook); retried with --retry-failed';

-- pg_dump carries its rows, as those of the other tables.
SELECT pg_catalog.pg_extension_config_dump('maintenance.webhook_failures', '');

CREATE FUNCTION maintenance.record_webhook_failure(
    event_id bigint,
    url text,
    attempts integer,
    last_status integer,
    last_error text)
RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, maintenance, pg_temp
AS $$
BEGIN
    IF event_id IS NULL OR event_id OPERATOR(pg_catalog.<) 1 THEN
        RAISE EXCEPTION 'event_id must be a positive event id'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF url IS NULL OR url OPERATOR(pg_catalog.!~) '^https?://[^/?#@]+(/[^?#]*)?$'
       OR pg_catalog.length(url) OPERATOR(pg_catalog.>) 2048 THEN
        RAISE EXCEPTION 'url must be an http or https URL without credentials, query or fragment'
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'At most 2048 characters: scheme, host, port and path.';
    END IF;
    IF attempts IS NULL OR attempts OPERATOR(pg_catalog.<) 1 THEN
        RAISE EXCEPTION 'attempts must be at least 1'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF last_status OPERATOR(pg_catalog.<) 100 OR last_status OPERATOR(pg_catalog.>) 599 THEN
        RAISE EXCEPTION 'last_status must be an HTTP status from 100 to 599, or null'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF last_error IS NULL OR pg_catalog.length(last_error) OPERATOR(pg_catalog.>) 1000 THEN
        RAISE EXCEPTION 'last_error must be a text of at most 1000 characters'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- A failure recorded again (a retry that failed too) adds its attempts.
    INSERT INTO maintenance.webhook_failures AS f
           (event_id, url, attempts, last_status, last_error)
    VALUES (record_webhook_failure.event_id, record_webhook_failure.url,
            record_webhook_failure.attempts, record_webhook_failure.last_status,
            record_webhook_failure.last_error)
    ON CONFLICT ON CONSTRAINT webhook_failures_pkey DO UPDATE
       SET attempts = f.attempts OPERATOR(pg_catalog.+) excluded.attempts,
           last_status = excluded.last_status,
           last_error = excluded.last_error,
           failed_at = pg_catalog.now();
END
$$;

COMMENT ON FUNCTION maintenance.record_webhook_failure(bigint, text, integer, integer, text) IS
    'record that an event failed every webhook attempt to url (maintenance-listen does, before moving its cursor)';

CREATE FUNCTION maintenance.list_webhook_failures(url text DEFAULT NULL)
RETURNS SETOF maintenance.webhook_failures
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, maintenance, pg_temp
AS $$
    SELECT f.* FROM maintenance.webhook_failures f
     WHERE list_webhook_failures.url IS NULL
        OR f.url OPERATOR(pg_catalog.=) list_webhook_failures.url
     ORDER BY f.event_id, f.url
$$;

COMMENT ON FUNCTION maintenance.list_webhook_failures(text) IS
    'the recorded webhook failures (of one URL, or all), in event id order';

CREATE FUNCTION maintenance.resolve_webhook_failure(event_id bigint, url text)
RETURNS boolean
LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, maintenance, pg_temp
AS $$
    WITH gone AS (
        DELETE FROM maintenance.webhook_failures f
         WHERE f.event_id OPERATOR(pg_catalog.=) resolve_webhook_failure.event_id
           AND f.url OPERATOR(pg_catalog.=) resolve_webhook_failure.url
        RETURNING 1)
    SELECT EXISTS (SELECT 1 FROM gone)
$$;

COMMENT ON FUNCTION maintenance.resolve_webhook_failure(bigint, text) IS
    'forget a recorded webhook failure (delivered since, or given up); false if unknown';

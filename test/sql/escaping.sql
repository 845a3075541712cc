-- escaping: text with quotes, backslashes, newlines, tabs, control
-- characters, emoji, characters outside the BMP or HTML comes back exactly as
-- it went in, through the typed functions, rpc's JSON and the JSON of the
-- events (built in C).
CREATE EXTENSION maintenance;
SET TimeZone = 'UTC';
SET DateStyle = 'ISO, YMD';
\pset null '(null)'

\set ECHO none
\i test/helpers.psql
\set ECHO all

CREATE TEMP TABLE samples (label text PRIMARY KEY, t text NOT NULL);
INSERT INTO samples VALUES
  ('double quotes', 'He said "hi"'),
  ('single quotes', $$It's 'quoted'$$),
  ('backslashes', 'C:\path\to\ \\ \"'),
  ('newline', E'first line\nsecond line'),
  ('carriage return', E'one\r\ntwo'),
  ('tab', E'a\tb'),
  ('control characters', E'x\x01y\x08z\x1f!'),
  ('delete', E'a\x7fb'),
  ('emoji', '🚧 Maintenance 🔧'),
  ('non-BMP', '𝄞 𠜎 𝔘𝔫𝔦𝔠𝔬𝔡𝔢'),
  ('emoji sequence', '👩‍💻 🇩🇪 👍🏽'),
  ('combining mark', E'e\u0301 vs \u00e9'),
  ('line separators', E'a\u2028b\u2029c'),
  ('HTML', '</script><script>alert("x")</script>'),
  ('looks like JSON', '{"title": "x", "n": [1, 2]}'),
  ('JSON escape as text', '\u0041 is not A, \n is not a newline'),
  ('format directives', '100% %s %d %n %%'),
  ('everything', E'"\\\n\t\x01🚧𝄞</script>''%s');

-- What each sample is, in JSON notation.
SELECT label, to_jsonb(t)::text AS "as JSON", octet_length(t) AS bytes FROM samples ORDER BY label;

-- Create a maintenance with the sample as title, description and one of its
-- system ids, then add an update with it as message, and check every place
-- it comes back.
CREATE FUNCTION pg_temp.round_trip(t text,
    OUT typed boolean, OUT stored boolean, OUT signal boolean, OUT hook boolean,
    OUT notifications boolean, OUT timeline boolean, OUT rpc_read boolean, OUT rpc_write boolean)
LANGUAGE plpgsql AS $$
DECLARE
    m uuid;
    before bigint;
    r jsonb;
    body text := format('A maintenance **"%s"** has been scheduled for a system you''re subscribed to.', t);
BEGIN
    SELECT coalesce(max(id), 0) INTO before FROM maintenance.events;
    SELECT c.id, c.title = t AND c.description = t AND c.system_ids @> ARRAY[t]
      INTO m, typed
      FROM maintenance.create_maintenance(t, '2031-11-01 10:00+00', '2031-11-01 12:00+00',
                                          ARRAY[t, 'plain'], t) AS c;
    SELECT x.title = t AND x.description = t
           AND EXISTS (SELECT 1 FROM maintenance.maintenance_systems s
                        WHERE s.maintenance_id = m AND s.system_id = t)
      INTO stored FROM maintenance.maintenances x WHERE x.id = m;
    SELECT e.payload -> 'systemIds' ? t INTO signal
      FROM maintenance.events e WHERE e.id > before AND e.channel = 'maintenance_signal';
    SELECT e.payload ->> 'title' = t AND e.payload ->> 'description' = t AND e.payload -> 'systemIds' ? t
      INTO hook
      FROM maintenance.events e WHERE e.id > before AND e.channel = 'maintenance_hook';
    SELECT bool_and(e.payload ->> 'body' = body) AND count(*) = 2
           AND bool_or(e.payload ->> 'systemId' = t)
      INTO notifications
      FROM maintenance.events e WHERE e.id > before AND e.channel = 'maintenance_notification';
    timeline := (SELECT u.message = t FROM maintenance.add_update(m, t) AS u);
    r := maintenance.rpc('getMaintenance', jsonb_build_object('id', m));
    rpc_read := r ->> 'title' = t AND r ->> 'description' = t AND r -> 'systemIds' ? t
                AND r -> 'updates' -> 0 ->> 'message' = t;
    r := maintenance.rpc('createMaintenance', jsonb_build_object('title', t, 'description', t,
             'startAt', '2031-11-01T10:00:00Z', 'endAt', '2031-11-01T12:00:00Z',
             'systemIds', jsonb_build_array(t)));
    rpc_write := r ->> 'title' = t AND r ->> 'description' = t AND r -> 'systemIds' ->> 0 = t
                 AND (maintenance.rpc('addUpdate', jsonb_build_object('maintenanceId', r -> 'id',
                          'message', t, 'statusChange', 'in_progress')) ->> 'message') = t;
END
$$;
SELECT label, r.* FROM samples, LATERAL pg_temp.round_trip(t) AS r ORDER BY label;

-- The events of one more maintenance made of the last sample, as stored
-- (in jsonb's own notation).
SELECT max(id) AS before FROM maintenance.events \gset
SELECT pg_temp.label(id, 'everything') FROM samples,
       LATERAL maintenance.create_maintenance(t, '2031-11-02 10:00+00', '2031-11-02 12:00+00', ARRAY[t], t)
 WHERE label = 'everything';
SELECT channel, pg_temp.mask(payload::text) AS payload
  FROM maintenance.events WHERE id > :before ORDER BY id;

-- The envelope replay and get_event() return is the C code of the NOTIFY
-- envelope (src/payload.c); it gives the jsonb that 0.3.0's SQL
-- jsonb_build_object() gave, byte for byte, for every event above (every
-- sample, as title, description, system id and message) and for a
-- description of 1 MB (1,048,575 bytes: the limit is 1 MiB).
SELECT pg_temp.label((maintenance.create_maintenance('One megabyte', '2031-11-03 10:00+00',
       '2031-11-03 12:00+00', ARRAY['big'],
       description => pg_catalog.repeat(E'\\"\u00e9\x01', 209715))).id, 'one megabyte');
SELECT pg_catalog.count(*) AS events,
       pg_catalog.count(*) FILTER (WHERE maintenance.event_envelope(e)::text IS DISTINCT FROM
           pg_catalog.jsonb_build_object('id', e.id, 'channel', e.channel, 'name', e.name,
               'occurredAt', maintenance.iso_time(e.occurred_at), 'payload', e.payload)::text) AS different,
       pg_catalog.max(pg_catalog.octet_length(e.payload::text)) > 1000000 AS has_huge
  FROM maintenance.events e;

DROP EXTENSION maintenance;

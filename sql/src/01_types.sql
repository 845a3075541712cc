-- 01_types.sql: types

CREATE TYPE maintenance.status AS ENUM (
    'scheduled',
    'in_progress',
    'completed',
    'cancelled'
);

COMMENT ON TYPE maintenance.status IS
    'status of a maintenance: scheduled -> in_progress -> completed, or cancelled';

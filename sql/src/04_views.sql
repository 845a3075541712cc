-- 04_views.sql: views

CREATE VIEW maintenance.maintenances_with_systems AS
SELECT m.id,
       m.title,
       m.description,
       m.suppress_notifications,
       m.status,
       m.start_at,
       m.end_at,
       m.created_at,
       m.updated_at,
       m.system_ids,
       m.reminders,
       m.series_id
  FROM maintenance.maintenances m;

COMMENT ON VIEW maintenance.maintenances_with_systems IS
    'each maintenance with its sorted system ids (MaintenanceWithSystems)';

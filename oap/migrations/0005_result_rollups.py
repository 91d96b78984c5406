"""The rollups of the validated result entries (oap/rollups.py): their tables, the triggers that
keep them exact, and their backfill from the entries already there.

The SQL is written out here (not imported) so that this migration stays what it was when it ran;
`oap.rollups.migration_sql()` generates the same statements (tests/oap/test_rollups.py checks
that they agree): a change there comes with a migration of its own.
"""

import django.db.models.deletion
from django.db import migrations, models

POSTGRESQL_FORWARD = [
    """ALTER TABLE oap_rollup_plan SET (fillfactor = 50)""",
    """ALTER TABLE oap_rollup_organisation SET (fillfactor = 50)""",
    """ALTER TABLE oap_rollup_action SET (fillfactor = 50)""",
    """ALTER TABLE oap_rollup_plan_actions SET (fillfactor = 50)""",
    """ALTER TABLE oap_rollup_participation SET (fillfactor = 50)""",
    """CREATE OR REPLACE FUNCTION oap_rollups_inserted() RETURNS trigger LANGUAGE plpgsql AS $body$
DECLARE emptied_0 bigint[]; emptied_1 bigint[]; emptied_2 bigint[]; emptied_3 bigint[]; emptied_4 bigint[];
BEGIN
IF EXISTS (SELECT 1 FROM new_rows WHERE status = 'validated') THEN
PERFORM 1 FROM oap_operationalaction WHERE id IN (SELECT action_id FROM new_rows WHERE status = 'validated') ORDER BY id FOR SHARE;
WITH delta AS MATERIALIZED (
SELECT d.year, a.plan_id, d.organisation_id, d.result_type_id, d.action_id, d.sign, d.value, d.id, (extract(epoch FROM d.updated_at) * 1000000)::bigint AS micros
  FROM (SELECT year, organisation_id, result_type_id, action_id, value, id, updated_at, 1 AS sign FROM new_rows WHERE status = 'validated') d
  JOIN oap_operationalaction a ON a.id = d.action_id
), plan_rows AS (
INSERT INTO oap_rollup_plan AS r (year, plan_id, result_type_id, entries, total, id_sum, updated_sum)
SELECT year, plan_id, result_type_id, sum(sign), sum(sign * value), sum(sign * id), mod(mod(sum(sign * micros), 1125899906842624) + 1125899906842624, 1125899906842624)
  FROM (SELECT * FROM delta) s
 GROUP BY year, plan_id, result_type_id
HAVING sum(sign) <> 0 OR sum(sign * value) <> 0 OR sum(sign * id) <> 0 OR mod(mod(sum(sign * micros), 1125899906842624) + 1125899906842624, 1125899906842624) <> 0
 ORDER BY year, plan_id, result_type_id
ON CONFLICT (year, plan_id, result_type_id) DO UPDATE SET entries = r.entries + EXCLUDED.entries, total = r.total + EXCLUDED.total, id_sum = r.id_sum + EXCLUDED.id_sum, updated_sum = mod(r.updated_sum + EXCLUDED.updated_sum, 1125899906842624)
RETURNING r.id, r.entries
), organisation_rows AS (
INSERT INTO oap_rollup_organisation AS r (year, plan_id, organisation_id, result_type_id, entries, total)
SELECT year, plan_id, organisation_id, result_type_id, sum(sign), sum(sign * value)
  FROM (SELECT * FROM delta) s
 GROUP BY year, plan_id, organisation_id, result_type_id
HAVING sum(sign) <> 0 OR sum(sign * value) <> 0
 ORDER BY year, plan_id, organisation_id, result_type_id
ON CONFLICT (year, plan_id, organisation_id, result_type_id) DO UPDATE SET entries = r.entries + EXCLUDED.entries, total = r.total + EXCLUDED.total
RETURNING r.id, r.entries
), action_rows AS (
INSERT INTO oap_rollup_action AS r (action_id, year, plan_id, entries)
SELECT action_id, year, plan_id, sum(sign)
  FROM (SELECT * FROM delta) s
 GROUP BY action_id, year, plan_id
HAVING sum(sign) <> 0
 ORDER BY action_id, year
ON CONFLICT (action_id, year) DO UPDATE SET entries = r.entries + EXCLUDED.entries, plan_id = EXCLUDED.plan_id
RETURNING r.id, r.action_id, r.year, r.plan_id, r.entries
), turned AS (
SELECT u.action_id, u.year, u.plan_id, CASE WHEN u.entries = 0 THEN -1 ELSE 1 END AS sign
  FROM action_rows u
  JOIN (SELECT action_id, year, sum(sign) AS change FROM delta GROUP BY action_id, year) c ON c.action_id = u.action_id AND c.year = u.year
 WHERE u.entries = 0 OR (u.entries > 0 AND u.entries = c.change)
), plan_action_rows AS (
INSERT INTO oap_rollup_plan_actions AS r (year, plan_id, actions)
SELECT year, plan_id, sum(sign)
  FROM (SELECT * FROM turned) s
 GROUP BY year, plan_id
HAVING sum(sign) <> 0
 ORDER BY year, plan_id
ON CONFLICT (year, plan_id) DO UPDATE SET actions = r.actions + EXCLUDED.actions
RETURNING r.id, r.actions
), participation_rows AS (
INSERT INTO oap_rollup_participation AS r (year, plan_id, organisation_id, role, actions)
SELECT year, plan_id, organisation_id, role, sum(sign)
  FROM (SELECT t.year, t.plan_id, p.organisation_id, p.role, t.sign
  FROM turned t
  JOIN oap_participation p ON p.action_id = t.action_id) s
 GROUP BY year, plan_id, organisation_id, role
HAVING sum(sign) <> 0
 ORDER BY year, plan_id, organisation_id, role
ON CONFLICT (year, plan_id, organisation_id, role) DO UPDATE SET actions = r.actions + EXCLUDED.actions
RETURNING r.id, r.actions
)
SELECT ARRAY(SELECT id FROM plan_rows WHERE entries = 0), ARRAY(SELECT id FROM organisation_rows WHERE entries = 0), ARRAY(SELECT id FROM action_rows WHERE entries = 0), ARRAY(SELECT id FROM plan_action_rows WHERE actions = 0), ARRAY(SELECT id FROM participation_rows WHERE actions = 0) INTO emptied_0, emptied_1, emptied_2, emptied_3, emptied_4;
IF cardinality(emptied_0) > 0 THEN DELETE FROM oap_rollup_plan WHERE id = ANY(emptied_0); END IF;
IF cardinality(emptied_1) > 0 THEN DELETE FROM oap_rollup_organisation WHERE id = ANY(emptied_1); END IF;
IF cardinality(emptied_2) > 0 THEN DELETE FROM oap_rollup_action WHERE id = ANY(emptied_2); END IF;
IF cardinality(emptied_3) > 0 THEN DELETE FROM oap_rollup_plan_actions WHERE id = ANY(emptied_3); END IF;
IF cardinality(emptied_4) > 0 THEN DELETE FROM oap_rollup_participation WHERE id = ANY(emptied_4); END IF;
END IF;
RETURN NULL;
END
$body$""",
    """CREATE OR REPLACE FUNCTION oap_rollups_updated() RETURNS trigger LANGUAGE plpgsql AS $body$
DECLARE emptied_0 bigint[]; emptied_1 bigint[]; emptied_2 bigint[]; emptied_3 bigint[]; emptied_4 bigint[];
BEGIN
IF EXISTS (SELECT 1 FROM old_rows WHERE status = 'validated') OR EXISTS (SELECT 1 FROM new_rows WHERE status = 'validated') THEN
PERFORM 1 FROM oap_operationalaction WHERE id IN (SELECT action_id FROM old_rows WHERE status = 'validated' UNION SELECT action_id FROM new_rows WHERE status = 'validated') ORDER BY id FOR SHARE;
WITH delta AS MATERIALIZED (
SELECT d.year, a.plan_id, d.organisation_id, d.result_type_id, d.action_id, d.sign, d.value, d.id, (extract(epoch FROM d.updated_at) * 1000000)::bigint AS micros
  FROM (SELECT year, organisation_id, result_type_id, action_id, value, id, updated_at, -1 AS sign FROM old_rows WHERE status = 'validated' UNION ALL SELECT year, organisation_id, result_type_id, action_id, value, id, updated_at, 1 AS sign FROM new_rows WHERE status = 'validated') d
  JOIN oap_operationalaction a ON a.id = d.action_id
), plan_rows AS (
INSERT INTO oap_rollup_plan AS r (year, plan_id, result_type_id, entries, total, id_sum, updated_sum)
SELECT year, plan_id, result_type_id, sum(sign), sum(sign * value), sum(sign * id), mod(mod(sum(sign * micros), 1125899906842624) + 1125899906842624, 1125899906842624)
  FROM (SELECT * FROM delta) s
 GROUP BY year, plan_id, result_type_id
HAVING sum(sign) <> 0 OR sum(sign * value) <> 0 OR sum(sign * id) <> 0 OR mod(mod(sum(sign * micros), 1125899906842624) + 1125899906842624, 1125899906842624) <> 0
 ORDER BY year, plan_id, result_type_id
ON CONFLICT (year, plan_id, result_type_id) DO UPDATE SET entries = r.entries + EXCLUDED.entries, total = r.total + EXCLUDED.total, id_sum = r.id_sum + EXCLUDED.id_sum, updated_sum = mod(r.updated_sum + EXCLUDED.updated_sum, 1125899906842624)
RETURNING r.id, r.entries
), organisation_rows AS (
INSERT INTO oap_rollup_organisation AS r (year, plan_id, organisation_id, result_type_id, entries, total)
SELECT year, plan_id, organisation_id, result_type_id, sum(sign), sum(sign * value)
  FROM (SELECT * FROM delta) s
 GROUP BY year, plan_id, organisation_id, result_type_id
HAVING sum(sign) <> 0 OR sum(sign * value) <> 0
 ORDER BY year, plan_id, organisation_id, result_type_id
ON CONFLICT (year, plan_id, organisation_id, result_type_id) DO UPDATE SET entries = r.entries + EXCLUDED.entries, total = r.total + EXCLUDED.total
RETURNING r.id, r.entries
), action_rows AS (
INSERT INTO oap_rollup_action AS r (action_id, year, plan_id, entries)
SELECT action_id, year, plan_id, sum(sign)
  FROM (SELECT * FROM delta) s
 GROUP BY action_id, year, plan_id
HAVING sum(sign) <> 0
 ORDER BY action_id, year
ON CONFLICT (action_id, year) DO UPDATE SET entries = r.entries + EXCLUDED.entries, plan_id = EXCLUDED.plan_id
RETURNING r.id, r.action_id, r.year, r.plan_id, r.entries
), turned AS (
SELECT u.action_id, u.year, u.plan_id, CASE WHEN u.entries = 0 THEN -1 ELSE 1 END AS sign
  FROM action_rows u
  JOIN (SELECT action_id, year, sum(sign) AS change FROM delta GROUP BY action_id, year) c ON c.action_id = u.action_id AND c.year = u.year
 WHERE u.entries = 0 OR (u.entries > 0 AND u.entries = c.change)
), plan_action_rows AS (
INSERT INTO oap_rollup_plan_actions AS r (year, plan_id, actions)
SELECT year, plan_id, sum(sign)
  FROM (SELECT * FROM turned) s
 GROUP BY year, plan_id
HAVING sum(sign) <> 0
 ORDER BY year, plan_id
ON CONFLICT (year, plan_id) DO UPDATE SET actions = r.actions + EXCLUDED.actions
RETURNING r.id, r.actions
), participation_rows AS (
INSERT INTO oap_rollup_participation AS r (year, plan_id, organisation_id, role, actions)
SELECT year, plan_id, organisation_id, role, sum(sign)
  FROM (SELECT t.year, t.plan_id, p.organisation_id, p.role, t.sign
  FROM turned t
  JOIN oap_participation p ON p.action_id = t.action_id) s
 GROUP BY year, plan_id, organisation_id, role
HAVING sum(sign) <> 0
 ORDER BY year, plan_id, organisation_id, role
ON CONFLICT (year, plan_id, organisation_id, role) DO UPDATE SET actions = r.actions + EXCLUDED.actions
RETURNING r.id, r.actions
)
SELECT ARRAY(SELECT id FROM plan_rows WHERE entries = 0), ARRAY(SELECT id FROM organisation_rows WHERE entries = 0), ARRAY(SELECT id FROM action_rows WHERE entries = 0), ARRAY(SELECT id FROM plan_action_rows WHERE actions = 0), ARRAY(SELECT id FROM participation_rows WHERE actions = 0) INTO emptied_0, emptied_1, emptied_2, emptied_3, emptied_4;
IF cardinality(emptied_0) > 0 THEN DELETE FROM oap_rollup_plan WHERE id = ANY(emptied_0); END IF;
IF cardinality(emptied_1) > 0 THEN DELETE FROM oap_rollup_organisation WHERE id = ANY(emptied_1); END IF;
IF cardinality(emptied_2) > 0 THEN DELETE FROM oap_rollup_action WHERE id = ANY(emptied_2); END IF;
IF cardinality(emptied_3) > 0 THEN DELETE FROM oap_rollup_plan_actions WHERE id = ANY(emptied_3); END IF;
IF cardinality(emptied_4) > 0 THEN DELETE FROM oap_rollup_participation WHERE id = ANY(emptied_4); END IF;
END IF;
RETURN NULL;
END
$body$""",
    """CREATE OR REPLACE FUNCTION oap_rollups_deleted() RETURNS trigger LANGUAGE plpgsql AS $body$
DECLARE emptied_0 bigint[]; emptied_1 bigint[]; emptied_2 bigint[]; emptied_3 bigint[]; emptied_4 bigint[];
BEGIN
IF EXISTS (SELECT 1 FROM old_rows WHERE status = 'validated') THEN
PERFORM 1 FROM oap_operationalaction WHERE id IN (SELECT action_id FROM old_rows WHERE status = 'validated') ORDER BY id FOR SHARE;
WITH delta AS MATERIALIZED (
SELECT d.year, a.plan_id, d.organisation_id, d.result_type_id, d.action_id, d.sign, d.value, d.id, (extract(epoch FROM d.updated_at) * 1000000)::bigint AS micros
  FROM (SELECT year, organisation_id, result_type_id, action_id, value, id, updated_at, -1 AS sign FROM old_rows WHERE status = 'validated') d
  JOIN oap_operationalaction a ON a.id = d.action_id
), plan_rows AS (
INSERT INTO oap_rollup_plan AS r (year, plan_id, result_type_id, entries, total, id_sum, updated_sum)
SELECT year, plan_id, result_type_id, sum(sign), sum(sign * value), sum(sign * id), mod(mod(sum(sign * micros), 1125899906842624) + 1125899906842624, 1125899906842624)
  FROM (SELECT * FROM delta) s
 GROUP BY year, plan_id, result_type_id
HAVING sum(sign) <> 0 OR sum(sign * value) <> 0 OR sum(sign * id) <> 0 OR mod(mod(sum(sign * micros), 1125899906842624) + 1125899906842624, 1125899906842624) <> 0
 ORDER BY year, plan_id, result_type_id
ON CONFLICT (year, plan_id, result_type_id) DO UPDATE SET entries = r.entries + EXCLUDED.entries, total = r.total + EXCLUDED.total, id_sum = r.id_sum + EXCLUDED.id_sum, updated_sum = mod(r.updated_sum + EXCLUDED.updated_sum, 1125899906842624)
RETURNING r.id, r.entries
), organisation_rows AS (
INSERT INTO oap_rollup_organisation AS r (year, plan_id, organisation_id, result_type_id, entries, total)
SELECT year, plan_id, organisation_id, result_type_id, sum(sign), sum(sign * value)
  FROM (SELECT * FROM delta) s
 GROUP BY year, plan_id, organisation_id, result_type_id
HAVING sum(sign) <> 0 OR sum(sign * value) <> 0
 ORDER BY year, plan_id, organisation_id, result_type_id
ON CONFLICT (year, plan_id, organisation_id, result_type_id) DO UPDATE SET entries = r.entries + EXCLUDED.entries, total = r.total + EXCLUDED.total
RETURNING r.id, r.entries
), action_rows AS (
INSERT INTO oap_rollup_action AS r (action_id, year, plan_id, entries)
SELECT action_id, year, plan_id, sum(sign)
  FROM (SELECT * FROM delta) s
 GROUP BY action_id, year, plan_id
HAVING sum(sign) <> 0
 ORDER BY action_id, year
ON CONFLICT (action_id, year) DO UPDATE SET entries = r.entries + EXCLUDED.entries, plan_id = EXCLUDED.plan_id
RETURNING r.id, r.action_id, r.year, r.plan_id, r.entries
), turned AS (
SELECT u.action_id, u.year, u.plan_id, CASE WHEN u.entries = 0 THEN -1 ELSE 1 END AS sign
  FROM action_rows u
  JOIN (SELECT action_id, year, sum(sign) AS change FROM delta GROUP BY action_id, year) c ON c.action_id = u.action_id AND c.year = u.year
 WHERE u.entries = 0 OR (u.entries > 0 AND u.entries = c.change)
), plan_action_rows AS (
INSERT INTO oap_rollup_plan_actions AS r (year, plan_id, actions)
SELECT year, plan_id, sum(sign)
  FROM (SELECT * FROM turned) s
 GROUP BY year, plan_id
HAVING sum(sign) <> 0
 ORDER BY year, plan_id
ON CONFLICT (year, plan_id) DO UPDATE SET actions = r.actions + EXCLUDED.actions
RETURNING r.id, r.actions
), participation_rows AS (
INSERT INTO oap_rollup_participation AS r (year, plan_id, organisation_id, role, actions)
SELECT year, plan_id, organisation_id, role, sum(sign)
  FROM (SELECT t.year, t.plan_id, p.organisation_id, p.role, t.sign
  FROM turned t
  JOIN oap_participation p ON p.action_id = t.action_id) s
 GROUP BY year, plan_id, organisation_id, role
HAVING sum(sign) <> 0
 ORDER BY year, plan_id, organisation_id, role
ON CONFLICT (year, plan_id, organisation_id, role) DO UPDATE SET actions = r.actions + EXCLUDED.actions
RETURNING r.id, r.actions
)
SELECT ARRAY(SELECT id FROM plan_rows WHERE entries = 0), ARRAY(SELECT id FROM organisation_rows WHERE entries = 0), ARRAY(SELECT id FROM action_rows WHERE entries = 0), ARRAY(SELECT id FROM plan_action_rows WHERE actions = 0), ARRAY(SELECT id FROM participation_rows WHERE actions = 0) INTO emptied_0, emptied_1, emptied_2, emptied_3, emptied_4;
IF cardinality(emptied_0) > 0 THEN DELETE FROM oap_rollup_plan WHERE id = ANY(emptied_0); END IF;
IF cardinality(emptied_1) > 0 THEN DELETE FROM oap_rollup_organisation WHERE id = ANY(emptied_1); END IF;
IF cardinality(emptied_2) > 0 THEN DELETE FROM oap_rollup_action WHERE id = ANY(emptied_2); END IF;
IF cardinality(emptied_3) > 0 THEN DELETE FROM oap_rollup_plan_actions WHERE id = ANY(emptied_3); END IF;
IF cardinality(emptied_4) > 0 THEN DELETE FROM oap_rollup_participation WHERE id = ANY(emptied_4); END IF;
END IF;
RETURN NULL;
END
$body$""",
    """CREATE OR REPLACE FUNCTION oap_rollups_truncated() RETURNS trigger LANGUAGE plpgsql AS $body$
DECLARE emptied_0 bigint[]; emptied_1 bigint[]; emptied_2 bigint[]; emptied_3 bigint[]; emptied_4 bigint[];
BEGIN
DELETE FROM oap_rollup_plan;
DELETE FROM oap_rollup_organisation;
DELETE FROM oap_rollup_action;
DELETE FROM oap_rollup_plan_actions;
DELETE FROM oap_rollup_participation;
RETURN NULL;
END
$body$""",
    """CREATE OR REPLACE FUNCTION oap_rollups_action_moved() RETURNS trigger LANGUAGE plpgsql AS $body$
DECLARE emptied_0 bigint[]; emptied_1 bigint[]; emptied_2 bigint[]; emptied_3 bigint[]; emptied_4 bigint[];
BEGIN
WITH moved_years AS (UPDATE oap_rollup_action SET plan_id = NEW.plan_id WHERE action_id = NEW.id RETURNING year), plan_rows AS (
INSERT INTO oap_rollup_plan AS r (year, plan_id, result_type_id, entries, total, id_sum, updated_sum)
SELECT year, plan_id, result_type_id, sum(sign), sum(sign * value), sum(sign * id), mod(mod(sum(sign * micros), 1125899906842624) + 1125899906842624, 1125899906842624)
  FROM (SELECT e.year, m.plan_id, e.organisation_id, e.result_type_id, m.sign, e.value, e.id, (extract(epoch FROM e.updated_at) * 1000000)::bigint AS micros
  FROM oap_resultentry e CROSS JOIN (VALUES (OLD.plan_id, -1), (NEW.plan_id, 1)) m (plan_id, sign)
 WHERE e.action_id = NEW.id AND e.status = 'validated') s
 GROUP BY year, plan_id, result_type_id
HAVING sum(sign) <> 0 OR sum(sign * value) <> 0 OR sum(sign * id) <> 0 OR mod(mod(sum(sign * micros), 1125899906842624) + 1125899906842624, 1125899906842624) <> 0
 ORDER BY year, plan_id, result_type_id
ON CONFLICT (year, plan_id, result_type_id) DO UPDATE SET entries = r.entries + EXCLUDED.entries, total = r.total + EXCLUDED.total, id_sum = r.id_sum + EXCLUDED.id_sum, updated_sum = mod(r.updated_sum + EXCLUDED.updated_sum, 1125899906842624)
RETURNING r.id, r.entries
), organisation_rows AS (
INSERT INTO oap_rollup_organisation AS r (year, plan_id, organisation_id, result_type_id, entries, total)
SELECT year, plan_id, organisation_id, result_type_id, sum(sign), sum(sign * value)
  FROM (SELECT e.year, m.plan_id, e.organisation_id, e.result_type_id, m.sign, e.value, e.id, (extract(epoch FROM e.updated_at) * 1000000)::bigint AS micros
  FROM oap_resultentry e CROSS JOIN (VALUES (OLD.plan_id, -1), (NEW.plan_id, 1)) m (plan_id, sign)
 WHERE e.action_id = NEW.id AND e.status = 'validated') s
 GROUP BY year, plan_id, organisation_id, result_type_id
HAVING sum(sign) <> 0 OR sum(sign * value) <> 0
 ORDER BY year, plan_id, organisation_id, result_type_id
ON CONFLICT (year, plan_id, organisation_id, result_type_id) DO UPDATE SET entries = r.entries + EXCLUDED.entries, total = r.total + EXCLUDED.total
RETURNING r.id, r.entries
), plan_action_rows AS (
INSERT INTO oap_rollup_plan_actions AS r (year, plan_id, actions)
SELECT year, plan_id, sum(sign)
  FROM (SELECT y.year, m.plan_id, m.sign FROM moved_years y CROSS JOIN (VALUES (OLD.plan_id, -1), (NEW.plan_id, 1)) m (plan_id, sign)) s
 GROUP BY year, plan_id
HAVING sum(sign) <> 0
 ORDER BY year, plan_id
ON CONFLICT (year, plan_id) DO UPDATE SET actions = r.actions + EXCLUDED.actions
RETURNING r.id, r.actions
), participation_rows AS (
INSERT INTO oap_rollup_participation AS r (year, plan_id, organisation_id, role, actions)
SELECT year, plan_id, organisation_id, role, sum(sign)
  FROM (SELECT y.year, m.plan_id, p.organisation_id, p.role, m.sign
  FROM moved_years y CROSS JOIN (VALUES (OLD.plan_id, -1), (NEW.plan_id, 1)) m (plan_id, sign)
  JOIN oap_participation p ON p.action_id = NEW.id) s
 GROUP BY year, plan_id, organisation_id, role
HAVING sum(sign) <> 0
 ORDER BY year, plan_id, organisation_id, role
ON CONFLICT (year, plan_id, organisation_id, role) DO UPDATE SET actions = r.actions + EXCLUDED.actions
RETURNING r.id, r.actions
)
SELECT ARRAY(SELECT id FROM plan_rows WHERE entries = 0), ARRAY(SELECT id FROM organisation_rows WHERE entries = 0), ARRAY(SELECT id FROM plan_action_rows WHERE actions = 0), ARRAY(SELECT id FROM participation_rows WHERE actions = 0) INTO emptied_0, emptied_1, emptied_2, emptied_3;
IF cardinality(emptied_0) > 0 THEN DELETE FROM oap_rollup_plan WHERE id = ANY(emptied_0); END IF;
IF cardinality(emptied_1) > 0 THEN DELETE FROM oap_rollup_organisation WHERE id = ANY(emptied_1); END IF;
IF cardinality(emptied_2) > 0 THEN DELETE FROM oap_rollup_plan_actions WHERE id = ANY(emptied_2); END IF;
IF cardinality(emptied_3) > 0 THEN DELETE FROM oap_rollup_participation WHERE id = ANY(emptied_3); END IF;
RETURN NULL;
END
$body$""",
    """CREATE OR REPLACE FUNCTION oap_rollups_participation_inserted() RETURNS trigger LANGUAGE plpgsql AS $body$
DECLARE emptied_0 bigint[]; emptied_1 bigint[]; emptied_2 bigint[]; emptied_3 bigint[]; emptied_4 bigint[];
BEGIN
PERFORM 1 FROM oap_operationalaction WHERE id IN (SELECT action_id FROM new_rows) ORDER BY id FOR NO KEY UPDATE;
WITH participation_rows AS (
INSERT INTO oap_rollup_participation AS r (year, plan_id, organisation_id, role, actions)
SELECT year, plan_id, organisation_id, role, sum(sign)
  FROM (SELECT a.year, a.plan_id, d.organisation_id, d.role, d.sign
  FROM (SELECT action_id, organisation_id, role, 1 AS sign FROM new_rows) d
  JOIN oap_rollup_action a ON a.action_id = d.action_id) s
 GROUP BY year, plan_id, organisation_id, role
HAVING sum(sign) <> 0
 ORDER BY year, plan_id, organisation_id, role
ON CONFLICT (year, plan_id, organisation_id, role) DO UPDATE SET actions = r.actions + EXCLUDED.actions
RETURNING r.id, r.actions
)
SELECT ARRAY(SELECT id FROM participation_rows WHERE actions = 0) INTO emptied_0;
IF cardinality(emptied_0) > 0 THEN DELETE FROM oap_rollup_participation WHERE id = ANY(emptied_0); END IF;
RETURN NULL;
END
$body$""",
    """CREATE OR REPLACE FUNCTION oap_rollups_participation_updated() RETURNS trigger LANGUAGE plpgsql AS $body$
DECLARE emptied_0 bigint[]; emptied_1 bigint[]; emptied_2 bigint[]; emptied_3 bigint[]; emptied_4 bigint[];
BEGIN
PERFORM 1 FROM oap_operationalaction WHERE id IN (SELECT action_id FROM old_rows UNION SELECT action_id FROM new_rows) ORDER BY id FOR NO KEY UPDATE;
WITH participation_rows AS (
INSERT INTO oap_rollup_participation AS r (year, plan_id, organisation_id, role, actions)
SELECT year, plan_id, organisation_id, role, sum(sign)
  FROM (SELECT a.year, a.plan_id, d.organisation_id, d.role, d.sign
  FROM (SELECT action_id, organisation_id, role, -1 AS sign FROM old_rows UNION ALL SELECT action_id, organisation_id, role, 1 AS sign FROM new_rows) d
  JOIN oap_rollup_action a ON a.action_id = d.action_id) s
 GROUP BY year, plan_id, organisation_id, role
HAVING sum(sign) <> 0
 ORDER BY year, plan_id, organisation_id, role
ON CONFLICT (year, plan_id, organisation_id, role) DO UPDATE SET actions = r.actions + EXCLUDED.actions
RETURNING r.id, r.actions
)
SELECT ARRAY(SELECT id FROM participation_rows WHERE actions = 0) INTO emptied_0;
IF cardinality(emptied_0) > 0 THEN DELETE FROM oap_rollup_participation WHERE id = ANY(emptied_0); END IF;
RETURN NULL;
END
$body$""",
    """CREATE OR REPLACE FUNCTION oap_rollups_participation_deleted() RETURNS trigger LANGUAGE plpgsql AS $body$
DECLARE emptied_0 bigint[]; emptied_1 bigint[]; emptied_2 bigint[]; emptied_3 bigint[]; emptied_4 bigint[];
BEGIN
PERFORM 1 FROM oap_operationalaction WHERE id IN (SELECT action_id FROM old_rows) ORDER BY id FOR NO KEY UPDATE;
WITH participation_rows AS (
INSERT INTO oap_rollup_participation AS r (year, plan_id, organisation_id, role, actions)
SELECT year, plan_id, organisation_id, role, sum(sign)
  FROM (SELECT a.year, a.plan_id, d.organisation_id, d.role, d.sign
  FROM (SELECT action_id, organisation_id, role, -1 AS sign FROM old_rows) d
  JOIN oap_rollup_action a ON a.action_id = d.action_id) s
 GROUP BY year, plan_id, organisation_id, role
HAVING sum(sign) <> 0
 ORDER BY year, plan_id, organisation_id, role
ON CONFLICT (year, plan_id, organisation_id, role) DO UPDATE SET actions = r.actions + EXCLUDED.actions
RETURNING r.id, r.actions
)
SELECT ARRAY(SELECT id FROM participation_rows WHERE actions = 0) INTO emptied_0;
IF cardinality(emptied_0) > 0 THEN DELETE FROM oap_rollup_participation WHERE id = ANY(emptied_0); END IF;
RETURN NULL;
END
$body$""",
    """CREATE OR REPLACE FUNCTION oap_rollups_participation_truncated() RETURNS trigger LANGUAGE plpgsql AS $body$
DECLARE emptied_0 bigint[]; emptied_1 bigint[]; emptied_2 bigint[]; emptied_3 bigint[]; emptied_4 bigint[];
BEGIN
DELETE FROM oap_rollup_participation;
RETURN NULL;
END
$body$""",
    """CREATE TRIGGER oap_rollups_inserted AFTER INSERT ON oap_resultentry
REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION oap_rollups_inserted()""",
    """CREATE TRIGGER oap_rollups_updated AFTER UPDATE ON oap_resultentry
REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION oap_rollups_updated()""",
    """CREATE TRIGGER oap_rollups_deleted AFTER DELETE ON oap_resultentry
REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION oap_rollups_deleted()""",
    """CREATE TRIGGER oap_rollups_truncated AFTER TRUNCATE ON oap_resultentry
FOR EACH STATEMENT EXECUTE FUNCTION oap_rollups_truncated()""",
    """CREATE TRIGGER oap_rollups_action_moved AFTER UPDATE OF plan_id ON oap_operationalaction
FOR EACH ROW WHEN (OLD.plan_id IS DISTINCT FROM NEW.plan_id) EXECUTE FUNCTION oap_rollups_action_moved()""",
    """CREATE TRIGGER oap_rollups_participation_inserted AFTER INSERT ON oap_participation
REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION oap_rollups_participation_inserted()""",
    """CREATE TRIGGER oap_rollups_participation_updated AFTER UPDATE ON oap_participation
REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION oap_rollups_participation_updated()""",
    """CREATE TRIGGER oap_rollups_participation_deleted AFTER DELETE ON oap_participation
REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION oap_rollups_participation_deleted()""",
    """CREATE TRIGGER oap_rollups_participation_truncated AFTER TRUNCATE ON oap_participation
FOR EACH STATEMENT EXECUTE FUNCTION oap_rollups_participation_truncated()""",
    """INSERT INTO oap_rollup_plan (year, plan_id, result_type_id, entries, total, id_sum, updated_sum)
SELECT e.year, a.plan_id, e.result_type_id, count(*), sum(e.value), sum(e.id), mod(sum((extract(epoch FROM e.updated_at) * 1000000)::bigint), 1125899906842624)
  FROM oap_resultentry e
  JOIN oap_operationalaction a ON a.id = e.action_id
 WHERE e.status = 'validated'
 GROUP BY e.year, a.plan_id, e.result_type_id
 ORDER BY 1, 2, 3""",
    """INSERT INTO oap_rollup_organisation (year, plan_id, organisation_id, result_type_id, entries, total)
SELECT e.year, a.plan_id, e.organisation_id, e.result_type_id, count(*), sum(e.value)
  FROM oap_resultentry e
  JOIN oap_operationalaction a ON a.id = e.action_id
 WHERE e.status = 'validated'
 GROUP BY e.year, a.plan_id, e.organisation_id, e.result_type_id
 ORDER BY 1, 2, 3, 4""",
    """INSERT INTO oap_rollup_action (action_id, year, plan_id, entries)
SELECT e.action_id, e.year, a.plan_id, count(*)
  FROM oap_resultentry e
  JOIN oap_operationalaction a ON a.id = e.action_id
 WHERE e.status = 'validated'
 GROUP BY e.action_id, e.year, a.plan_id
 ORDER BY 1, 2""",
    """INSERT INTO oap_rollup_plan_actions (year, plan_id, actions)
SELECT x.year, a.plan_id, count(*)
  FROM (SELECT DISTINCT action_id, year FROM oap_resultentry WHERE status = 'validated') x
  JOIN oap_operationalaction a ON a.id = x.action_id
 GROUP BY x.year, a.plan_id
 ORDER BY 1, 2""",
    """INSERT INTO oap_rollup_participation (year, plan_id, organisation_id, role, actions)
SELECT x.year, a.plan_id, p.organisation_id, p.role, count(*)
  FROM (SELECT DISTINCT action_id, year FROM oap_resultentry WHERE status = 'validated') x
  JOIN oap_operationalaction a ON a.id = x.action_id
  JOIN oap_participation p ON p.action_id = x.action_id
 GROUP BY x.year, a.plan_id, p.organisation_id, p.role
 ORDER BY 1, 2, 3, 4""",
    """ANALYZE oap_rollup_plan""",
    """ANALYZE oap_rollup_organisation""",
    """ANALYZE oap_rollup_action""",
    """ANALYZE oap_rollup_plan_actions""",
    """ANALYZE oap_rollup_participation""",
]
POSTGRESQL_BACKWARD = [
    """DROP TRIGGER IF EXISTS oap_rollups_inserted ON oap_resultentry""",
    """DROP TRIGGER IF EXISTS oap_rollups_updated ON oap_resultentry""",
    """DROP TRIGGER IF EXISTS oap_rollups_deleted ON oap_resultentry""",
    """DROP TRIGGER IF EXISTS oap_rollups_truncated ON oap_resultentry""",
    """DROP TRIGGER IF EXISTS oap_rollups_action_moved ON oap_operationalaction""",
    """DROP TRIGGER IF EXISTS oap_rollups_participation_inserted ON oap_participation""",
    """DROP TRIGGER IF EXISTS oap_rollups_participation_updated ON oap_participation""",
    """DROP TRIGGER IF EXISTS oap_rollups_participation_deleted ON oap_participation""",
    """DROP TRIGGER IF EXISTS oap_rollups_participation_truncated ON oap_participation""",
    """DROP FUNCTION IF EXISTS oap_rollups_inserted()""",
    """DROP FUNCTION IF EXISTS oap_rollups_updated()""",
    """DROP FUNCTION IF EXISTS oap_rollups_deleted()""",
    """DROP FUNCTION IF EXISTS oap_rollups_truncated()""",
    """DROP FUNCTION IF EXISTS oap_rollups_action_moved()""",
    """DROP FUNCTION IF EXISTS oap_rollups_participation_inserted()""",
    """DROP FUNCTION IF EXISTS oap_rollups_participation_updated()""",
    """DROP FUNCTION IF EXISTS oap_rollups_participation_deleted()""",
    """DROP FUNCTION IF EXISTS oap_rollups_participation_truncated()""",
]
SQLITE_FORWARD = [
    """CREATE TRIGGER oap_rollups_inserted AFTER INSERT ON oap_resultentry
WHEN NEW.status = 'validated' BEGIN
INSERT INTO oap_rollup_plan (year, plan_id, result_type_id, entries, total, id_sum, updated_sum) SELECT NEW.year, (SELECT plan_id FROM oap_operationalaction WHERE id = NEW.action_id), NEW.result_type_id, 1, NEW.value, NEW.id, (CAST(strftime('%s', substr(NEW.updated_at, 1, 19)) AS INTEGER) * 1000000 + CAST(substr(NEW.updated_at, 21, 6) AS INTEGER)) % 1125899906842624 WHERE true
ON CONFLICT (year, plan_id, result_type_id) DO UPDATE SET entries = entries + excluded.entries, total = total + excluded.total, id_sum = id_sum + excluded.id_sum, updated_sum = (updated_sum + excluded.updated_sum) % 1125899906842624;
INSERT INTO oap_rollup_organisation (year, plan_id, organisation_id, result_type_id, entries, total) SELECT NEW.year, (SELECT plan_id FROM oap_operationalaction WHERE id = NEW.action_id), NEW.organisation_id, NEW.result_type_id, 1, NEW.value WHERE true
ON CONFLICT (year, plan_id, organisation_id, result_type_id) DO UPDATE SET entries = entries + excluded.entries, total = total + excluded.total;
INSERT INTO oap_rollup_action (action_id, year, plan_id, entries) SELECT NEW.action_id, NEW.year, (SELECT plan_id FROM oap_operationalaction WHERE id = NEW.action_id), 1 WHERE true
ON CONFLICT (action_id, year) DO UPDATE SET entries = entries + excluded.entries, plan_id = excluded.plan_id;
INSERT INTO oap_rollup_plan_actions (year, plan_id, actions)
SELECT NEW.year, (SELECT plan_id FROM oap_rollup_action WHERE action_id = NEW.action_id AND year = NEW.year), 1 WHERE true AND (SELECT entries FROM oap_rollup_action WHERE action_id = NEW.action_id AND year = NEW.year) = 1
ON CONFLICT (year, plan_id) DO UPDATE SET actions = actions + excluded.actions;
INSERT INTO oap_rollup_participation (year, plan_id, organisation_id, role, actions)
SELECT NEW.year, (SELECT plan_id FROM oap_rollup_action WHERE action_id = NEW.action_id AND year = NEW.year), p.organisation_id, p.role, 1
  FROM oap_participation p WHERE p.action_id = NEW.action_id AND true AND (SELECT entries FROM oap_rollup_action WHERE action_id = NEW.action_id AND year = NEW.year) = 1
ON CONFLICT (year, plan_id, organisation_id, role) DO UPDATE SET actions = actions + excluded.actions;
END""",
    """CREATE TRIGGER oap_rollups_updated AFTER UPDATE ON oap_resultentry
WHEN OLD.status = 'validated' OR NEW.status = 'validated' BEGIN
UPDATE oap_rollup_plan SET entries = entries - 1, total = total - OLD.value, id_sum = id_sum - OLD.id, updated_sum = ((updated_sum - (CAST(strftime('%s', substr(OLD.updated_at, 1, 19)) AS INTEGER) * 1000000 + CAST(substr(OLD.updated_at, 21, 6) AS INTEGER)) % 1125899906842624) % 1125899906842624 + 1125899906842624) % 1125899906842624 WHERE year = OLD.year AND plan_id = (SELECT plan_id FROM oap_operationalaction WHERE id = OLD.action_id) AND result_type_id = OLD.result_type_id AND OLD.status = 'validated';
DELETE FROM oap_rollup_plan WHERE year = OLD.year AND plan_id = (SELECT plan_id FROM oap_operationalaction WHERE id = OLD.action_id) AND result_type_id = OLD.result_type_id AND entries = 0;
UPDATE oap_rollup_organisation SET entries = entries - 1, total = total - OLD.value WHERE year = OLD.year AND plan_id = (SELECT plan_id FROM oap_operationalaction WHERE id = OLD.action_id) AND organisation_id = OLD.organisation_id AND result_type_id = OLD.result_type_id AND OLD.status = 'validated';
DELETE FROM oap_rollup_organisation WHERE year = OLD.year AND plan_id = (SELECT plan_id FROM oap_operationalaction WHERE id = OLD.action_id) AND organisation_id = OLD.organisation_id AND result_type_id = OLD.result_type_id AND entries = 0;
UPDATE oap_rollup_action SET entries = entries - 1 WHERE action_id = OLD.action_id AND year = OLD.year AND OLD.status = 'validated';
UPDATE oap_rollup_plan_actions SET actions = actions - 1 WHERE year = OLD.year AND plan_id = (SELECT plan_id FROM oap_rollup_action WHERE action_id = OLD.action_id AND year = OLD.year) AND OLD.status = 'validated' AND (SELECT entries FROM oap_rollup_action WHERE action_id = OLD.action_id AND year = OLD.year) = 0;
DELETE FROM oap_rollup_plan_actions WHERE year = OLD.year AND actions = 0;
UPDATE oap_rollup_participation SET actions = actions - 1
 WHERE year = OLD.year AND plan_id = (SELECT plan_id FROM oap_rollup_action WHERE action_id = OLD.action_id AND year = OLD.year) AND OLD.status = 'validated' AND (SELECT entries FROM oap_rollup_action WHERE action_id = OLD.action_id AND year = OLD.year) = 0
   AND (organisation_id, role) IN (SELECT organisation_id, role FROM oap_participation WHERE action_id = OLD.action_id);
DELETE FROM oap_rollup_participation WHERE year = OLD.year AND actions = 0;
DELETE FROM oap_rollup_action WHERE action_id = OLD.action_id AND year = OLD.year AND entries = 0;
INSERT INTO oap_rollup_plan (year, plan_id, result_type_id, entries, total, id_sum, updated_sum) SELECT NEW.year, (SELECT plan_id FROM oap_operationalaction WHERE id = NEW.action_id), NEW.result_type_id, 1, NEW.value, NEW.id, (CAST(strftime('%s', substr(NEW.updated_at, 1, 19)) AS INTEGER) * 1000000 + CAST(substr(NEW.updated_at, 21, 6) AS INTEGER)) % 1125899906842624 WHERE NEW.status = 'validated'
ON CONFLICT (year, plan_id, result_type_id) DO UPDATE SET entries = entries + excluded.entries, total = total + excluded.total, id_sum = id_sum + excluded.id_sum, updated_sum = (updated_sum + excluded.updated_sum) % 1125899906842624;
INSERT INTO oap_rollup_organisation (year, plan_id, organisation_id, result_type_id, entries, total) SELECT NEW.year, (SELECT plan_id FROM oap_operationalaction WHERE id = NEW.action_id), NEW.organisation_id, NEW.result_type_id, 1, NEW.value WHERE NEW.status = 'validated'
ON CONFLICT (year, plan_id, organisation_id, result_type_id) DO UPDATE SET entries = entries + excluded.entries, total = total + excluded.total;
INSERT INTO oap_rollup_action (action_id, year, plan_id, entries) SELECT NEW.action_id, NEW.year, (SELECT plan_id FROM oap_operationalaction WHERE id = NEW.action_id), 1 WHERE NEW.status = 'validated'
ON CONFLICT (action_id, year) DO UPDATE SET entries = entries + excluded.entries, plan_id = excluded.plan_id;
INSERT INTO oap_rollup_plan_actions (year, plan_id, actions)
SELECT NEW.year, (SELECT plan_id FROM oap_rollup_action WHERE action_id = NEW.action_id AND year = NEW.year), 1 WHERE NEW.status = 'validated' AND (SELECT entries FROM oap_rollup_action WHERE action_id = NEW.action_id AND year = NEW.year) = 1
ON CONFLICT (year, plan_id) DO UPDATE SET actions = actions + excluded.actions;
INSERT INTO oap_rollup_participation (year, plan_id, organisation_id, role, actions)
SELECT NEW.year, (SELECT plan_id FROM oap_rollup_action WHERE action_id = NEW.action_id AND year = NEW.year), p.organisation_id, p.role, 1
  FROM oap_participation p WHERE p.action_id = NEW.action_id AND NEW.status = 'validated' AND (SELECT entries FROM oap_rollup_action WHERE action_id = NEW.action_id AND year = NEW.year) = 1
ON CONFLICT (year, plan_id, organisation_id, role) DO UPDATE SET actions = actions + excluded.actions;
END""",
    """CREATE TRIGGER oap_rollups_deleted AFTER DELETE ON oap_resultentry
WHEN OLD.status = 'validated' BEGIN
UPDATE oap_rollup_plan SET entries = entries - 1, total = total - OLD.value, id_sum = id_sum - OLD.id, updated_sum = ((updated_sum - (CAST(strftime('%s', substr(OLD.updated_at, 1, 19)) AS INTEGER) * 1000000 + CAST(substr(OLD.updated_at, 21, 6) AS INTEGER)) % 1125899906842624) % 1125899906842624 + 1125899906842624) % 1125899906842624 WHERE year = OLD.year AND plan_id = (SELECT plan_id FROM oap_operationalaction WHERE id = OLD.action_id) AND result_type_id = OLD.result_type_id AND true;
DELETE FROM oap_rollup_plan WHERE year = OLD.year AND plan_id = (SELECT plan_id FROM oap_operationalaction WHERE id = OLD.action_id) AND result_type_id = OLD.result_type_id AND entries = 0;
UPDATE oap_rollup_organisation SET entries = entries - 1, total = total - OLD.value WHERE year = OLD.year AND plan_id = (SELECT plan_id FROM oap_operationalaction WHERE id = OLD.action_id) AND organisation_id = OLD.organisation_id AND result_type_id = OLD.result_type_id AND true;
DELETE FROM oap_rollup_organisation WHERE year = OLD.year AND plan_id = (SELECT plan_id FROM oap_operationalaction WHERE id = OLD.action_id) AND organisation_id = OLD.organisation_id AND result_type_id = OLD.result_type_id AND entries = 0;
UPDATE oap_rollup_action SET entries = entries - 1 WHERE action_id = OLD.action_id AND year = OLD.year AND true;
UPDATE oap_rollup_plan_actions SET actions = actions - 1 WHERE year = OLD.year AND plan_id = (SELECT plan_id FROM oap_rollup_action WHERE action_id = OLD.action_id AND year = OLD.year) AND true AND (SELECT entries FROM oap_rollup_action WHERE action_id = OLD.action_id AND year = OLD.year) = 0;
DELETE FROM oap_rollup_plan_actions WHERE year = OLD.year AND actions = 0;
UPDATE oap_rollup_participation SET actions = actions - 1
 WHERE year = OLD.year AND plan_id = (SELECT plan_id FROM oap_rollup_action WHERE action_id = OLD.action_id AND year = OLD.year) AND true AND (SELECT entries FROM oap_rollup_action WHERE action_id = OLD.action_id AND year = OLD.year) = 0
   AND (organisation_id, role) IN (SELECT organisation_id, role FROM oap_participation WHERE action_id = OLD.action_id);
DELETE FROM oap_rollup_participation WHERE year = OLD.year AND actions = 0;
DELETE FROM oap_rollup_action WHERE action_id = OLD.action_id AND year = OLD.year AND entries = 0;
END""",
    """CREATE TRIGGER oap_rollups_action_moved AFTER UPDATE OF plan_id ON oap_operationalaction
WHEN OLD.plan_id IS NOT NEW.plan_id BEGIN
INSERT INTO oap_rollup_plan (year, plan_id, result_type_id, entries, total, id_sum, updated_sum)
SELECT e.year, OLD.plan_id, e.result_type_id, -1 * count(*), -1 * sum(e.value), -1 * sum(e.id), ((-1 * (sum((CAST(strftime('%s', substr(e.updated_at, 1, 19)) AS INTEGER) * 1000000 + CAST(substr(e.updated_at, 21, 6) AS INTEGER)) % 1125899906842624) % 1125899906842624)) % 1125899906842624 + 1125899906842624) % 1125899906842624
  FROM oap_resultentry e WHERE e.action_id = NEW.id AND e.status = 'validated' GROUP BY e.year, e.result_type_id
ON CONFLICT (year, plan_id, result_type_id) DO UPDATE SET entries = entries + excluded.entries, total = total + excluded.total, id_sum = id_sum + excluded.id_sum, updated_sum = (updated_sum + excluded.updated_sum) % 1125899906842624;
INSERT INTO oap_rollup_plan (year, plan_id, result_type_id, entries, total, id_sum, updated_sum)
SELECT e.year, NEW.plan_id, e.result_type_id, 1 * count(*), 1 * sum(e.value), 1 * sum(e.id), ((1 * (sum((CAST(strftime('%s', substr(e.updated_at, 1, 19)) AS INTEGER) * 1000000 + CAST(substr(e.updated_at, 21, 6) AS INTEGER)) % 1125899906842624) % 1125899906842624)) % 1125899906842624 + 1125899906842624) % 1125899906842624
  FROM oap_resultentry e WHERE e.action_id = NEW.id AND e.status = 'validated' GROUP BY e.year, e.result_type_id
ON CONFLICT (year, plan_id, result_type_id) DO UPDATE SET entries = entries + excluded.entries, total = total + excluded.total, id_sum = id_sum + excluded.id_sum, updated_sum = (updated_sum + excluded.updated_sum) % 1125899906842624;
DELETE FROM oap_rollup_plan WHERE plan_id = OLD.plan_id AND entries = 0;
INSERT INTO oap_rollup_organisation (year, plan_id, organisation_id, result_type_id, entries, total)
SELECT e.year, OLD.plan_id, e.organisation_id, e.result_type_id, -1 * count(*), -1 * sum(e.value)
  FROM oap_resultentry e WHERE e.action_id = NEW.id AND e.status = 'validated' GROUP BY e.year, e.organisation_id, e.result_type_id
ON CONFLICT (year, plan_id, organisation_id, result_type_id) DO UPDATE SET entries = entries + excluded.entries, total = total + excluded.total;
INSERT INTO oap_rollup_organisation (year, plan_id, organisation_id, result_type_id, entries, total)
SELECT e.year, NEW.plan_id, e.organisation_id, e.result_type_id, 1 * count(*), 1 * sum(e.value)
  FROM oap_resultentry e WHERE e.action_id = NEW.id AND e.status = 'validated' GROUP BY e.year, e.organisation_id, e.result_type_id
ON CONFLICT (year, plan_id, organisation_id, result_type_id) DO UPDATE SET entries = entries + excluded.entries, total = total + excluded.total;
DELETE FROM oap_rollup_organisation WHERE plan_id = OLD.plan_id AND entries = 0;
INSERT INTO oap_rollup_plan_actions (year, plan_id, actions)
SELECT a.year, OLD.plan_id, -1 FROM oap_rollup_action a WHERE a.action_id = NEW.id
ON CONFLICT (year, plan_id) DO UPDATE SET actions = actions + excluded.actions;
INSERT INTO oap_rollup_plan_actions (year, plan_id, actions)
SELECT a.year, NEW.plan_id, 1 FROM oap_rollup_action a WHERE a.action_id = NEW.id
ON CONFLICT (year, plan_id) DO UPDATE SET actions = actions + excluded.actions;
DELETE FROM oap_rollup_plan_actions WHERE plan_id = OLD.plan_id AND actions = 0;
INSERT INTO oap_rollup_participation (year, plan_id, organisation_id, role, actions)
SELECT a.year, OLD.plan_id, p.organisation_id, p.role, -1
  FROM oap_rollup_action a JOIN oap_participation p ON p.action_id = a.action_id WHERE a.action_id = NEW.id
ON CONFLICT (year, plan_id, organisation_id, role) DO UPDATE SET actions = actions + excluded.actions;
INSERT INTO oap_rollup_participation (year, plan_id, organisation_id, role, actions)
SELECT a.year, NEW.plan_id, p.organisation_id, p.role, 1
  FROM oap_rollup_action a JOIN oap_participation p ON p.action_id = a.action_id WHERE a.action_id = NEW.id
ON CONFLICT (year, plan_id, organisation_id, role) DO UPDATE SET actions = actions + excluded.actions;
DELETE FROM oap_rollup_participation WHERE plan_id = OLD.plan_id AND actions = 0;
UPDATE oap_rollup_action SET plan_id = NEW.plan_id WHERE action_id = NEW.id;
END""",
    """CREATE TRIGGER oap_rollups_participation_inserted AFTER INSERT ON oap_participation
BEGIN
INSERT INTO oap_rollup_participation (year, plan_id, organisation_id, role, actions)
SELECT a.year, a.plan_id, NEW.organisation_id, NEW.role, 1 FROM oap_rollup_action a WHERE a.action_id = NEW.action_id
ON CONFLICT (year, plan_id, organisation_id, role) DO UPDATE SET actions = actions + excluded.actions;
END""",
    """CREATE TRIGGER oap_rollups_participation_updated AFTER UPDATE ON oap_participation
BEGIN
UPDATE oap_rollup_participation SET actions = actions - 1
 WHERE organisation_id = OLD.organisation_id AND role = OLD.role AND (year, plan_id) IN (SELECT year, plan_id FROM oap_rollup_action WHERE action_id = OLD.action_id);
DELETE FROM oap_rollup_participation WHERE organisation_id = OLD.organisation_id AND actions = 0;
INSERT INTO oap_rollup_participation (year, plan_id, organisation_id, role, actions)
SELECT a.year, a.plan_id, NEW.organisation_id, NEW.role, 1 FROM oap_rollup_action a WHERE a.action_id = NEW.action_id
ON CONFLICT (year, plan_id, organisation_id, role) DO UPDATE SET actions = actions + excluded.actions;
END""",
    """CREATE TRIGGER oap_rollups_participation_deleted AFTER DELETE ON oap_participation
BEGIN
UPDATE oap_rollup_participation SET actions = actions - 1
 WHERE organisation_id = OLD.organisation_id AND role = OLD.role AND (year, plan_id) IN (SELECT year, plan_id FROM oap_rollup_action WHERE action_id = OLD.action_id);
DELETE FROM oap_rollup_participation WHERE organisation_id = OLD.organisation_id AND actions = 0;
END""",
    """INSERT INTO oap_rollup_plan (year, plan_id, result_type_id, entries, total, id_sum, updated_sum)
SELECT e.year, a.plan_id, e.result_type_id, count(*), sum(e.value), sum(e.id), ((sum((CAST(strftime('%s', substr(e.updated_at, 1, 19)) AS INTEGER) * 1000000 + CAST(substr(e.updated_at, 21, 6) AS INTEGER)) / 33554432) % 33554432) * 33554432 + sum((CAST(strftime('%s', substr(e.updated_at, 1, 19)) AS INTEGER) * 1000000 + CAST(substr(e.updated_at, 21, 6) AS INTEGER)) % 33554432)) % 1125899906842624
  FROM oap_resultentry e
  JOIN oap_operationalaction a ON a.id = e.action_id
 WHERE e.status = 'validated'
 GROUP BY e.year, a.plan_id, e.result_type_id
 ORDER BY 1, 2, 3""",
    """INSERT INTO oap_rollup_organisation (year, plan_id, organisation_id, result_type_id, entries, total)
SELECT e.year, a.plan_id, e.organisation_id, e.result_type_id, count(*), sum(e.value)
  FROM oap_resultentry e
  JOIN oap_operationalaction a ON a.id = e.action_id
 WHERE e.status = 'validated'
 GROUP BY e.year, a.plan_id, e.organisation_id, e.result_type_id
 ORDER BY 1, 2, 3, 4""",
    """INSERT INTO oap_rollup_action (action_id, year, plan_id, entries)
SELECT e.action_id, e.year, a.plan_id, count(*)
  FROM oap_resultentry e
  JOIN oap_operationalaction a ON a.id = e.action_id
 WHERE e.status = 'validated'
 GROUP BY e.action_id, e.year, a.plan_id
 ORDER BY 1, 2""",
    """INSERT INTO oap_rollup_plan_actions (year, plan_id, actions)
SELECT x.year, a.plan_id, count(*)
  FROM (SELECT DISTINCT action_id, year FROM oap_resultentry WHERE status = 'validated') x
  JOIN oap_operationalaction a ON a.id = x.action_id
 GROUP BY x.year, a.plan_id
 ORDER BY 1, 2""",
    """INSERT INTO oap_rollup_participation (year, plan_id, organisation_id, role, actions)
SELECT x.year, a.plan_id, p.organisation_id, p.role, count(*)
  FROM (SELECT DISTINCT action_id, year FROM oap_resultentry WHERE status = 'validated') x
  JOIN oap_operationalaction a ON a.id = x.action_id
  JOIN oap_participation p ON p.action_id = x.action_id
 GROUP BY x.year, a.plan_id, p.organisation_id, p.role
 ORDER BY 1, 2, 3, 4""",
]
SQLITE_BACKWARD = [
    """DROP TRIGGER IF EXISTS oap_rollups_inserted""",
    """DROP TRIGGER IF EXISTS oap_rollups_updated""",
    """DROP TRIGGER IF EXISTS oap_rollups_deleted""",
    """DROP TRIGGER IF EXISTS oap_rollups_action_moved""",
    """DROP TRIGGER IF EXISTS oap_rollups_participation_inserted""",
    """DROP TRIGGER IF EXISTS oap_rollups_participation_updated""",
    """DROP TRIGGER IF EXISTS oap_rollups_participation_deleted""",
]
SQL = {
    "postgresql": {"forward": POSTGRESQL_FORWARD, "backward": POSTGRESQL_BACKWARD},
    "sqlite": {"forward": SQLITE_FORWARD, "backward": SQLITE_BACKWARD},
}


def run(direction):
    def operation(apps, schema_editor):
        vendor = schema_editor.connection.vendor
        if vendor not in SQL:
            raise NotImplementedError(f"the result rollups have no triggers for {vendor}")
        with schema_editor.connection.cursor() as cursor:
            for statement in SQL[vendor][direction]:
                cursor.execute(statement)

    return operation


forward, backward = run("forward"), run("backward")


class Migration(migrations.Migration):

    dependencies = [
        ('oap', '0004_result_list_indexes'),
    ]

    operations = [
        migrations.AlterField(
            model_name='resultentry',
            name='organisation',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name='results', to='oap.organisation', verbose_name='organisation'),
        ),
        migrations.CreateModel(
            name='ActionRollupByPlan',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('year', models.PositiveSmallIntegerField()),
                ('actions', models.IntegerField(help_text='Actions of the plan with validated results in the year.')),
                ('plan', models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='oap.operationalactionplan')),
            ],
            options={
                'db_table': 'oap_rollup_plan_actions',
                'abstract': False,
                'default_permissions': (),
                'constraints': [models.UniqueConstraint(fields=('year', 'plan'), name='oap_rollup_plan_actions_key')],
            },
        ),
        migrations.CreateModel(
            name='ParticipationRollup',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('year', models.PositiveSmallIntegerField()),
                ('role', models.CharField(max_length=16)),
                ('actions', models.IntegerField(help_text='Actions of the plan with results in the year it takes part in.')),
                ('organisation', models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='oap.organisation')),
                ('plan', models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='oap.operationalactionplan')),
            ],
            options={
                'db_table': 'oap_rollup_participation',
                'abstract': False,
                'default_permissions': (),
                'constraints': [models.UniqueConstraint(fields=('year', 'plan', 'organisation', 'role'), name='oap_rollup_participation_key')],
            },
        ),
        migrations.CreateModel(
            name='ResultRollupByAction',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('year', models.PositiveSmallIntegerField()),
                ('entries', models.IntegerField()),
                ('action', models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='oap.operationalaction')),
                ('plan', models.ForeignKey(db_constraint=False, db_index=False, help_text="The action's plan.", on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='oap.operationalactionplan')),
            ],
            options={
                'db_table': 'oap_rollup_action',
                'abstract': False,
                'default_permissions': (),
                'constraints': [models.UniqueConstraint(fields=('action', 'year'), name='oap_rollup_action_key')],
            },
        ),
        migrations.CreateModel(
            name='ResultRollupByOrganisation',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('year', models.PositiveSmallIntegerField()),
                ('entries', models.IntegerField()),
                ('total', models.DecimalField(decimal_places=3, max_digits=32)),
                ('organisation', models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='oap.organisation')),
                ('plan', models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='oap.operationalactionplan')),
                ('result_type', models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='oap.resulttype')),
            ],
            options={
                'db_table': 'oap_rollup_organisation',
                'abstract': False,
                'default_permissions': (),
                'constraints': [models.UniqueConstraint(fields=('year', 'plan', 'organisation', 'result_type'), name='oap_rollup_organisation_key')],
            },
        ),
        migrations.CreateModel(
            name='ResultRollupByPlan',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('year', models.PositiveSmallIntegerField()),
                ('entries', models.IntegerField()),
                ('total', models.DecimalField(decimal_places=3, max_digits=32)),
                ('id_sum', models.BigIntegerField()),
                ('updated_sum', models.BigIntegerField()),
                ('plan', models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='oap.operationalactionplan')),
                ('result_type', models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='oap.resulttype')),
            ],
            options={
                'db_table': 'oap_rollup_plan',
                'abstract': False,
                'default_permissions': (),
                'constraints': [models.UniqueConstraint(fields=('year', 'plan', 'result_type'), name='oap_rollup_plan_key')],
            },
        ),
        migrations.RunPython(forward, backward),
    ]

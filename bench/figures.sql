-- The factsheet's headline and breakdowns in ONE hand-written statement: the yardstick of the
-- compile (bench/run.py, compile_ratio = compile_figures / this). For the year and the previous
-- one: per year (the headline), per year and priority, per year and plan, from the validated
-- entries: the counters' sums, drugs in kg, the operational actions with results and (per year)
-- the countries taking part in them. Parameters: %(year)s, %(previous)s.
WITH per_plan AS (
  SELECT e.year, a.plan_id, e.result_type_id, sum(e.value) AS total
    FROM oap_resultentry e
    JOIN oap_operationalaction a ON a.id = e.action_id
   WHERE e.status = 'validated' AND e.year IN (%(previous)s, %(year)s)
   GROUP BY e.year, a.plan_id, e.result_type_id
), acted AS (
  SELECT DISTINCT year, action_id
    FROM oap_resultentry
   WHERE status = 'validated' AND year IN (%(previous)s, %(year)s)
), countries AS MATERIALIZED (
  SELECT x.year, count(DISTINCT pa.organisation_id) AS countries
    FROM acted x
    JOIN oap_participation pa ON pa.action_id = x.action_id
    JOIN oap_organisation o ON o.id = pa.organisation_id
   WHERE o.kind IN ('member_state', 'third_country')
   GROUP BY x.year
), counters AS (
  SELECT pp.year, p.priority_id, pp.plan_id,
         sum(pp.total) FILTER (WHERE rt.code = 'arrests') AS arrests,
         sum(pp.total) FILTER (WHERE rt.code = 'migrant_smugglers_arrested') AS migrant_smugglers_arrested,
         sum(pp.total) FILTER (WHERE rt.code = 'victims_identified') AS victims_identified,
         sum(pp.total) FILTER (WHERE rt.code = 'investigations_initiated') AS investigations_initiated,
         sum(pp.total) FILTER (WHERE rt.code = 'assets_seized_eur') AS assets_seized_eur,
         sum(pp.total * CASE rt.unit WHEN 't' THEN 1000 ELSE 1 END) FILTER (WHERE rt.category = 'drugs')
           AS drugs_seized_kg
    FROM per_plan pp
    JOIN oap_operationalactionplan p ON p.id = pp.plan_id
    JOIN oap_resulttype rt ON rt.id = pp.result_type_id
   GROUP BY GROUPING SETS ((pp.year), (pp.year, p.priority_id), (pp.year, pp.plan_id))
), actions AS (
  SELECT x.year, p.priority_id, a.plan_id, count(*) AS operational_actions
    FROM acted x
    JOIN oap_operationalaction a ON a.id = x.action_id
    JOIN oap_operationalactionplan p ON p.id = a.plan_id
   GROUP BY GROUPING SETS ((x.year), (x.year, p.priority_id), (x.year, a.plan_id))
)
SELECT c.*, a.operational_actions, n.countries
  FROM counters c
  JOIN actions a ON a.year = c.year AND a.priority_id IS NOT DISTINCT FROM c.priority_id
                AND a.plan_id IS NOT DISTINCT FROM c.plan_id
  LEFT JOIN countries n ON n.year = c.year AND c.priority_id IS NULL AND c.plan_id IS NULL

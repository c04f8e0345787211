-- One number per commit of the whole cluster, taken inside the commit's transaction after its
-- rows are written (src/postgres/mod.rs): a commit that began after another was acknowledged, or
-- that changed a row another commit changed, gets a greater number. The audit trail records it
-- with each change (docs/security/audit.md, "Several nodes").
CREATE SEQUENCE commit_order AS bigint;

-- Dependency and code scanning (issue 16): a project's products (a name and the version or
-- ref scanned; imports with the same product and version reconcile with one another), their
-- findings, and each import. Findings are not sealed: they are derived from public advisories
-- about the product's dependencies (a secret finding keeps only its rule and line, never the
-- match), and the lists filter and sort on their columns.
-- revision: bumped by every import, so that two imports of one product cannot interleave.
CREATE TABLE scan_products (
    id TEXT PRIMARY KEY NOT NULL,
    project TEXT NOT NULL,
    name TEXT NOT NULL,
    version TEXT NOT NULL,
    support TEXT NOT NULL,
    revision INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (project, name, version)
);
-- key: core's Finding::key (kind, target, package, id, location), unique per product.
-- state: open, fixed, accepted-risk, false-positive. due_at: the fix deadline (unix ms), NULL
-- without one. cvss_tenths: the base score times ten.
CREATE TABLE findings (
    id TEXT PRIMARY KEY NOT NULL,
    product_id TEXT NOT NULL REFERENCES scan_products (id),
    project TEXT NOT NULL,
    key TEXT NOT NULL,
    kind TEXT NOT NULL,
    target TEXT NOT NULL,
    package TEXT NOT NULL,
    ecosystem TEXT NOT NULL,
    installed_version TEXT NOT NULL,
    fixed_versions TEXT NOT NULL,
    vuln_id TEXT NOT NULL,
    aliases TEXT NOT NULL,
    title TEXT NOT NULL,
    severity TEXT NOT NULL,
    cvss_vector TEXT,
    cvss_tenths INTEGER,
    location TEXT NOT NULL,
    url TEXT NOT NULL,
    state TEXT NOT NULL,
    first_seen_at INTEGER NOT NULL,
    changed_at INTEGER NOT NULL,
    due_at INTEGER,
    reason TEXT,
    decided_until INTEGER,
    decided_by TEXT,
    UNIQUE (product_id, key)
);
CREATE INDEX findings_project_state ON findings (project, state, due_at);
-- One row per import: what it found and what it changed.
CREATE TABLE scan_imports (
    id TEXT PRIMARY KEY NOT NULL,
    product_id TEXT NOT NULL REFERENCES scan_products (id),
    format TEXT NOT NULL,
    at INTEGER NOT NULL,
    actor TEXT NOT NULL,
    findings INTEGER NOT NULL,
    opened INTEGER NOT NULL,
    unchanged INTEGER NOT NULL,
    closed INTEGER NOT NULL,
    reopened INTEGER NOT NULL,
    warnings TEXT NOT NULL
);
CREATE INDEX scan_imports_product ON scan_imports (product_id, at);

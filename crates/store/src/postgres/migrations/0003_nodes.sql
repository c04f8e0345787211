-- The Keyward nodes that keep a cache of objects, and until when each may serve from it
-- (src/postgres/coherence.rs). A node renews its lease on the connection that listens for
-- invalidations; a commit that changed objects waits until every node whose lease has not expired
-- confirms it dropped its copies. Node names are random per start and say nothing else.
CREATE TABLE nodes (
    node_id text COLLATE "C" PRIMARY KEY,
    lease_expires timestamptz NOT NULL
);

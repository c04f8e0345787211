-- Keyward's store on PostgreSQL, version 2: the store's keyring (crates/store/src/keyring.rs) in
-- the database, wrapped by the KEK, as the sled store keeps it in its `keyring` file. Records are
-- sealed under the keyring's data key and index keys are MACs under its index key; the KEK only
-- wraps the keyring. A database of version 1 had its keys derived from the KEK's bytes: its first
-- open by this version writes them here as a keyring (data key generation 1) and drops the old
-- check value from keyward_meta.

-- The KEK versions the store knows, each with a check value wrapped by it (which tells a wrong
-- KEK from a damaged keyring). state: 1 active, 2 retiring, 3 retired (as in kek.rs).
-- derives_data_key: the data key was derived from this KEK's bytes (a store made before keyrings).
CREATE TABLE kek_versions (
    version integer PRIMARY KEY CHECK (version > 0),
    state smallint NOT NULL CHECK (state IN (1, 2, 3)),
    derives_data_key boolean NOT NULL,
    check_value bytea NOT NULL
);

-- The keyring, wrapped by the active KEK: one row.
CREATE TABLE keyring (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    kek_version integer NOT NULL REFERENCES kek_versions (version),
    wrapped bytea NOT NULL
);

-- The data key generations the keyring holds, the current one first: not secret (the sealed values
-- name theirs in clear), and what a node compares with its own keyring to know whether it must
-- read the keyring again, without unwrapping it (src/postgres/keyring.rs). NULL until a node
-- opens the keyring after this migration and fills it in.
ALTER TABLE keyring ADD COLUMN generations integer[];

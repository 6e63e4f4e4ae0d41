-- participa store, version 6: nothing in the schema.
--
-- What a pass is reading is recorded before each file is read, by the reading threads
-- themselves, in a journal file beside the store (`participa.db.lecturas`, see
-- `pipeline::reading` and ARCHITECTURE.md), not in a table: a line written to the kernel
-- survives the death of the process, needs no transaction on the single writer's connection,
-- and costs two small writes per file read. The number is kept so that versions stay in step.

SELECT 1;

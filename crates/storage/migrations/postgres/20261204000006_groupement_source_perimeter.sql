-- The perimeter of the opportunity a groupement was created from: the territory's
-- organisations (the default) or every buyer of the data, widened by the coordinator.
ALTER TABLE groupements ADD COLUMN source_all_buyers BOOLEAN NOT NULL DEFAULT FALSE;

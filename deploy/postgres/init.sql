-- Run once by the postgres image on an empty data directory
-- (mounted into /docker-entrypoint-initdb.d by docker-compose.yml).
-- One database per service: no service reads another's tables.
CREATE DATABASE profiles;
CREATE DATABASE connections;
CREATE DATABASE content;
CREATE DATABASE aggregator;
CREATE DATABASE events;

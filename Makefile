# Shorthands for the two commands in the README (make is optional).
.PHONY: dev test
dev:
	./infra/dev.sh
test:
	./infra/test.sh

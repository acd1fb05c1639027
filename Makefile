# Two entry points for newcomers (see README.md):
#   make book   set everything up, then render the book (or say how to read it without Quarto)
#   make test   set everything up, then run every test (what CI runs)
# Everything lives in a virtual environment in .venv; nothing is installed system-wide.

PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: setup test unit portable book book-student student lab execute benchmarks clean help
.PHONY: es es-check book-es book-es-student student-es

help:
	@echo "make book        set up, then render the website and the PDF with Quarto (or say how to read without it)"
	@echo "make test        set up, then run every test: unit tests, book checks, notebooks (nbval), time budget"
	@echo "make unit        unit tests and book checks only (no notebooks)"
	@echo "make portable    the notebooks under nbval with other CPU code paths (finds CPU-dependent outputs)"
	@echo "make book-student  render the student edition of the site (solutions hidden) into _book-student/"
	@echo "make student     write the student notebooks (solutions replaced by stubs) into student/"
	@echo "make es          build the Spanish notebooks es/ from chapters/ and the translations in i18n/es/"
	@echo "make es-check    list every Spanish unit that is missing, stale or breaks the markup or glossary"
	@echo "make book-es     render the Spanish site into _book-es/ (make book-es-student: its student edition)"
	@echo "make student-es  write the Spanish student notebooks into student-es/"
	@echo "make nbgrader    write an nbgrader course from the chapters into nbgrader/"
	@echo "make lab         open the chapters in JupyterLab"
	@echo "make execute NB=chapters/01-sequential-data.ipynb   re-run one chapter top to bottom and store its outputs"
	@echo "make benchmarks  time the from-scratch modules against torch.nn"
	@echo "make char-lm     re-train the language model checkpoint of chapter 11 (about 13 minutes of CPU time)"
	@echo "make benchmark-models  re-train the seed's three forecasting models of chapter 7 (about 1 min)"
	@echo "make benchmark-best  re-train the candidates of chapter 7's last change, choose on validation (about 6 min)"
	@echo "make depth-width     re-train chapter 8's depth-against-width experiment (about 8 min)"
	@echo "make attention-models  re-train chapter 12's encoder-decoders and taggers"
	@echo "make sentiment   re-tune the sentiment classifiers of chapter 10 (about 6 minutes of CPU time)"

setup: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps -e .
	touch $(STAMP)

test: setup
	$(PY) -m pytest

unit: setup
	$(PY) -m pytest tests

book: setup
	@$(PY) scripts/render_book.py

book-student: setup
	@$(PY) scripts/render_book.py --profile student --to html

# student/NN-name.ipynb and student/manifest.json (the assignment the grader grades
# against); POINTS=points.yaml overrides the points per exercise.
student: setup
	$(PY) -m rnnbook.edition chapters student $(if $(POINTS),--points $(POINTS))

# The Spanish edition: es/ is built from the English chapters and i18n/es/*.yml (never
# edited by hand); `make es-check` says what a chapter change left to translate.
es: setup
	$(PY) -m rnnbook.i18n build es

es-check: setup
	$(PY) -m rnnbook.i18n check es

book-es: es
	@$(PY) scripts/render_book.py --profile es --to html

book-es-student: es
	@$(PY) scripts/render_book.py --profile es,student --to html

student-es: es
	$(PY) -m rnnbook.edition es/chapters student-es $(if $(POINTS),--points $(POINTS))

# an nbgrader course source: nbgrader/source/NN-name/NN-name.ipynb and nbgrader_config.py
.PHONY: nbgrader
nbgrader: setup
	$(PY) -m rnnbook.grade.nbgrader chapters nbgrader $(if $(POINTS),--points $(POINTS))

lab: setup
	$(VENV)/bin/jupyter lab chapters/

# nbval with the CPU kernels switched to other code paths (no AVX, MKL's compatible branch, oneDNN
# without AVX): a cell whose output changes here would also change on another kind of CPU.
portable: setup
	ATEN_CPU_CAPABILITY=default MKL_CBWR=COMPATIBLE ONEDNN_MAX_CPU_ISA=SSE41 $(PY) -m pytest chapters

execute: setup
	@test -n "$(NB)" || (echo "usage: make execute NB=chapters/NN-name.ipynb" && exit 2)
	$(PY) scripts/execute_notebook.py $(NB)

benchmarks: setup
	$(PY) benchmarks/run.py

.PHONY: char-lm benchmark-models benchmark-best depth-width
char-lm: setup  # train the language model of chapter 11 on one CPU thread -> checkpoints/char_lm.pt
	$(PY) scripts/train_char_lm.py

benchmark-models: setup  # train the seed's three models of chapter 7 -> checkpoints/benchmark_seed_models.pt
	$(PY) scripts/train_benchmark.py

clean:
	rm -rf $(VENV) _book _book-student .quarto student .pytest_cache .hypothesis

.PHONY: sentiment
sentiment: setup  # tune the bag of words and the GRU of chapter 10 on one CPU thread -> checkpoints/sentiment.pt
	$(PY) scripts/train_sentiment.py

benchmark-best: setup  # train chapter 7's last change (3 candidates), choose on validation, test once -> checkpoints/benchmark_best.pt
	$(PY) scripts/train_benchmark_best.py

depth-width: setup  # train chapter 8's depth-against-width runs (15 Elman models, 5 seeds) -> checkpoints/deep_depth_width.pt
	$(PY) scripts/train_depth_width.py

.PHONY: attention-models
attention-models: setup  # train chapter 12's encoder-decoders and taggers on one CPU thread -> checkpoints/attention.pt
	$(PY) scripts/train_attention.py

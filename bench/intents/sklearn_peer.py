#!/usr/bin/python3
# The peer for bench/intents/run: scikit-learn's standard text pipeline on the same split, word
# 1-2-grams and character 3-5-grams inside word boundaries (TF-IDF, sublinear), a linear SVM with
# C=1. Prints one JSON object: accuracy, macro_f1, train_seconds, messages_per_second (predicting
# the whole test set in one call, its fastest way; Troupe's figure is one message at a time).
#   sklearn_peer.py TRAIN TEST   (each text<TAB>intent, or a CSV with a header text,category)
import csv
import json
import sys
import time

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import accuracy_score, f1_score
from sklearn.pipeline import make_pipeline, make_union
from sklearn.svm import LinearSVC


def read(path):
    with open(path, newline="", encoding="utf-8") as f:
        if path.endswith(".csv"):
            rows = list(csv.DictReader(f))
            return [r["text"] for r in rows], [r["category"] for r in rows]
        pairs = [line.rstrip("\n").rsplit("\t", 1) for line in f if "\t" in line and not line.startswith("#")]
        return [p[0] for p in pairs], [p[1].strip() for p in pairs]


train_x, train_y = read(sys.argv[1])
test_x, test_y = read(sys.argv[2])
model = make_pipeline(
    make_union(
        TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True),
        TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), min_df=2, sublinear_tf=True),
    ),
    LinearSVC(C=1.0),
)
start = time.perf_counter()
model.fit(train_x, train_y)
train_seconds = time.perf_counter() - start
start = time.perf_counter()
predicted = model.predict(test_x)
predict_seconds = time.perf_counter() - start
print(json.dumps({
    "accuracy": accuracy_score(test_y, predicted),
    "macro_f1": f1_score(test_y, predicted, average="macro"),
    "train_seconds": train_seconds,
    "messages_per_second": len(test_x) / predict_seconds,
}))

/*
 * test_file_fuzz_regress.c — replays the fuzz corpus without libFuzzer, under ASan + UBSan
 * (scripts/native-tests.sh, so `npm test`): every file in
 *   tests/fuzz/corpus/load   tests/fuzz/corpus/model     (seeds: tests/fuzz/make_seeds.c)
 *   tests/fuzz/regress/load  tests/fuzz/regress/model    (inputs that once broke an invariant)
 * goes through BOTH fuzz target bodies (fz_load_one and fz_model_one, tests/fuzz/fuzz_common.h;
 * the load corpus holds format-2 files and the format-1 files of tests/fixtures/v1;
 * every byte string is a valid input of both), so what the fuzzers once found stays fixed. A
 * broken invariant aborts with the file's name.
 * Paths are relative to the repository root, where native-tests.sh runs.
 */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>

#include "../fuzz/fuzz_common.h"

static int files, failed;

static int cmp_names(const void* a, const void* b) { return strcmp(*(char* const*)a, *(char* const*)b); }

static uint8_t* read_all(const char* path, size_t* n) {
  FILE* f = fopen(path, "rb");
  if (!f) return NULL;
  size_t cap = 1 << 16, len = 0;
  uint8_t* buf = malloc(cap);
  size_t got;
  while (buf && (got = fread(buf + len, 1, cap - len, f)) > 0) {
    len += got;
    if (len == cap) {
      uint8_t* nb = realloc(buf, cap *= 2);
      if (!nb) free(buf);
      buf = nb;
    }
  }
  fclose(f);
  *n = len;
  return buf;
}

/* Replays every regular file of dir (sorted); returns how many, or -1 if dir is missing. */
static int replay_dir(const char* dir) {
  DIR* d = opendir(dir);
  if (!d) return -1;
  char** names = NULL;
  int count = 0, cap = 0;
  struct dirent* e;
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.') continue; /* ., .., .gitkeep */
    if (count == cap) names = realloc(names, sizeof(char*) * (size_t)(cap = cap ? 2 * cap : 64));
    names[count++] = strdup(e->d_name);
  }
  closedir(d);
  if (count) qsort(names, (size_t)count, sizeof(char*), cmp_names);
  int done = 0;
  for (int i = 0; i < count; i++) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, names[i]);
    size_t n = 0;
    uint8_t* data = read_all(path, &n);
    if (!data) {
      printf("FAIL cannot read %s\n", path);
      failed++;
    } else {
      fz_input_name = path;
      fz_load_one(data, n);
      fz_model_one(data, n);
      free(data);
      done++;
    }
    free(names[i]);
  }
  free(names);
  return done;
}

int main(void) {
  static const char* dirs[] = {"tests/fuzz/corpus/load", "tests/fuzz/corpus/model", "tests/fuzz/regress/load",
                               "tests/fuzz/regress/model"};
  for (int k = 0; k < 4; k++) {
    int n = replay_dir(dirs[k]);
    int required = k < 2; /* the seed corpus must be there; regress/ may be empty or absent */
    if (n < 0 && required) {
      printf("FAIL %s: missing (run from the repository root)\n", dirs[k]);
      failed++;
    } else if (n == 0 && required) {
      printf("FAIL %s: empty\n", dirs[k]);
      failed++;
    }
    if (n > 0) files += n;
    printf("  %s: %d files\n", dirs[k], n < 0 ? 0 : n);
  }
  /* a few inputs that need no file */
  static const uint8_t tiny[][2] = {{0, 0}, {1, 0}, {0xFF, 0xFF}};
  for (int i = 0; i < 3; i++) fz_input_name = "(built-in tiny input)", fz_load_one(tiny[i], 2), fz_model_one(tiny[i], 2);
  fz_load_one(tiny[0], 0), fz_model_one(tiny[0], 0);
  int st = -1;
  if (lstm_load(NULL, 0, &st) != NULL || st != LSTM_ERR_ARG) printf("FAIL lstm_load(NULL)\n"), failed++;
  /* the streaming reader and writer refuse a NULL handle */
  uint8_t byte = 0;
  if (lstm_read_chunk(NULL, &byte, 1) != LSTM_ERR_ARG || lstm_read_end(NULL) != LSTM_ERR_ARG ||
      lstm_read_model(NULL) != NULL || lstm_read_meta(NULL, NULL) != NULL)
    printf("FAIL lstm_read_*(NULL)\n"), failed++;
  if (lstm_write_chunk(NULL, &byte, 1) != -LSTM_ERR_ARG || lstm_write_size(NULL) != 0)
    printf("FAIL lstm_write_*(NULL)\n"), failed++;
  lstm_read_free(NULL), lstm_write_free(NULL);
  if (lstm_read_begin(0, 1, NULL) != NULL) printf("FAIL lstm_read_begin(status NULL)\n"), failed++;
  printf("native file fuzz regress: %d passed, %d failed\n", files, failed);
  return failed ? 1 : 0;
}

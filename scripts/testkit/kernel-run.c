/*
 * kernel-run: loads raw eBPF programs into the running kernel as XDP programs
 * and runs them with BPF_PROG_TEST_RUN, many per process. It talks to the
 * kernel through the bpf(2) syscall directly (linux/bpf.h only, no libbpf), so
 * the tests that compare sluice's engines with the kernel need nothing but a C
 * compiler and root. scripts/testkit/kernel.ts builds it, writes the records
 * and parses the replies; the format is documented there and below.
 *
 * Requests on stdin and replies on stdout, little-endian, one reply per request.
 * Every request starts with a u32 tag:
 *
 *   'P' run a program   u32 insn_bytes, u32 data_len, u32 ctx_len, u32 repeat, u32 flags,
 *                       then the instructions, the packet, the context (xdp_md; 0 = none).
 *                       lddw with src 1 (map fd) or 2 (map value) carries a map *index*
 *                       (from 'M') in its imm; it is patched to that map's fd before loading.
 *                       flags bit 0: keep the verifier log even when the program loads.
 *   'M' create a map    u32 map_type, u32 key_size, u32 value_size, u32 max_entries, u32 map_flags
 *   'U' update an entry u32 index, u32 key_len, u32 value_len, u32 flags, key, value
 *   'L' look an entry up u32 index, u32 key_len, u32 value_len, key
 *   'R' reset           closes every map
 *
 * Every reply is eight u32 followed by three byte strings:
 *   tag, status, errno, value, duration_ns, len_a, len_b, len_c, bytes_a, bytes_b, bytes_c
 * status: 0 ok, 1 the verifier rejected the program, 2 the test run failed, 3 a map
 * operation failed, 4 a malformed request (c = why; after an unknown tag the process
 * exits, since the stream can no longer be parsed).
 *   'P': value = retval, a = data_out, b = ctx_out, c = verifier log
 *   'M': value = map index; 'L': a = the value; others: nothing.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/bpf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

enum { ST_OK = 0, ST_REJECTED = 1, ST_RUN_FAILED = 2, ST_MAP_ERROR = 3, ST_BAD_REQUEST = 4 };

#define MAX_MAPS 64
#define MAX_BLOB (16u << 20)
#define LOG_SIZE (1u << 20)
/* Output room: a frame can grow to a few KiB in a test run; XDP can also add metadata. */
#define DATA_OUT_SIZE 8192u
#define CTX_OUT_SIZE 256u

static int map_fds[MAX_MAPS];
static int map_count;
static char log_buf[LOG_SIZE];

static long sys_bpf(int cmd, union bpf_attr *attr) {
  return syscall(__NR_bpf, cmd, attr, sizeof(*attr));
}

static void die(const char *what) {
  fprintf(stderr, "kernel-run: %s\n", what);
  exit(2);
}

static int read_exact(void *buf, size_t n) {
  size_t got = 0;
  while (got < n) {
    size_t r = fread((char *)buf + got, 1, n - got, stdin);
    if (r == 0) return got == 0 ? 0 : -1;
    got += r;
  }
  return 1;
}

static uint32_t read_u32(void) {
  uint32_t v;
  if (read_exact(&v, 4) != 1) die("truncated request");
  return v;
}

/* Reads a length-prefixed blob into a fresh buffer (never NULL, so empty blobs are fine). */
static uint8_t *read_blob(uint32_t len) {
  if (len > MAX_BLOB) die("request field too large");
  uint8_t *p = malloc(len ? len : 1);
  if (!p) die("out of memory");
  if (len && read_exact(p, len) != 1) die("truncated request");
  return p;
}

static void reply(uint32_t tag, uint32_t status, int err, uint32_t value, uint32_t duration,
                  const void *a, uint32_t la, const void *b, uint32_t lb, const void *c, uint32_t lc) {
  uint32_t head[8] = {tag, status, (uint32_t)err, value, duration, la, lb, lc};
  fwrite(head, sizeof(head), 1, stdout);
  if (la) fwrite(a, 1, la, stdout);
  if (lb) fwrite(b, 1, lb, stdout);
  if (lc) fwrite(c, 1, lc, stdout);
}

static int valid_map(uint32_t index) { return index < (uint32_t)map_count && map_fds[index] >= 0; }

/* Replaces map indexes in lddw (src 1 or 2) with fds; returns 0, or -1 on an unknown index. */
static int patch_maps(struct bpf_insn *insns, uint32_t count) {
  for (uint32_t i = 0; i < count; i++) {
    if (insns[i].code != (BPF_LD | BPF_IMM | BPF_DW)) continue;
    if (insns[i].src_reg == BPF_PSEUDO_MAP_FD || insns[i].src_reg == BPF_PSEUDO_MAP_VALUE) {
      if (!valid_map((uint32_t)insns[i].imm)) return -1;
      insns[i].imm = map_fds[insns[i].imm];
    }
    i++; /* the second slot */
  }
  return 0;
}

static int load(struct bpf_insn *insns, uint32_t count, int with_log) {
  union bpf_attr attr;
  memset(&attr, 0, sizeof(attr));
  attr.prog_type = BPF_PROG_TYPE_XDP;
  attr.insns = (uintptr_t)insns;
  attr.insn_cnt = count;
  attr.license = (uintptr_t) "GPL";
  if (with_log) {
    log_buf[0] = 0;
    attr.log_level = 1;
    attr.log_buf = (uintptr_t)log_buf;
    attr.log_size = LOG_SIZE;
  }
  memcpy(attr.prog_name, "sluice_diff", 12);
  return (int)sys_bpf(BPF_PROG_LOAD, &attr);
}

static void run_program(void) {
  uint32_t insn_bytes = read_u32(), data_len = read_u32(), ctx_len = read_u32();
  uint32_t repeat = read_u32(), flags = read_u32();
  uint8_t *insns = read_blob(insn_bytes), *data = read_blob(data_len), *ctx = read_blob(ctx_len);
  static uint8_t data_out[DATA_OUT_SIZE], ctx_out[CTX_OUT_SIZE];
  uint32_t count = insn_bytes / 8;

  if (insn_bytes % 8 != 0 || patch_maps((struct bpf_insn *)insns, count) != 0) {
    const char *msg = insn_bytes % 8 ? "program is not a whole number of instructions" : "lddw names a map index that does not exist";
    reply('P', ST_BAD_REQUEST, EINVAL, 0, 0, NULL, 0, NULL, 0, msg, (uint32_t)strlen(msg));
    goto out;
  }
  /* Load without a log first (faster); on rejection load again to capture the reason. */
  int keep_log = flags & 1;
  int fd = load((struct bpf_insn *)insns, count, keep_log);
  if (fd < 0) {
    int err = errno;
    if (!keep_log) {
      int again = load((struct bpf_insn *)insns, count, 1);
      if (again >= 0) close(again);
    }
    reply('P', ST_REJECTED, err, 0, 0, NULL, 0, NULL, 0, log_buf, (uint32_t)strlen(log_buf));
    goto out;
  }
  union bpf_attr attr;
  memset(&attr, 0, sizeof(attr));
  attr.test.prog_fd = (uint32_t)fd;
  attr.test.data_in = (uintptr_t)data;
  attr.test.data_size_in = data_len;
  attr.test.data_out = (uintptr_t)data_out;
  attr.test.data_size_out = DATA_OUT_SIZE;
  attr.test.repeat = repeat;
  if (ctx_len) {
    attr.test.ctx_in = (uintptr_t)ctx;
    attr.test.ctx_size_in = ctx_len;
    attr.test.ctx_out = (uintptr_t)ctx_out;
    attr.test.ctx_size_out = CTX_OUT_SIZE;
  }
  long rc = sys_bpf(BPF_PROG_TEST_RUN, &attr);
  int err = rc < 0 ? errno : 0;
  const char *log = keep_log ? log_buf : "";
  uint32_t out_len = attr.test.data_size_out > DATA_OUT_SIZE ? DATA_OUT_SIZE : attr.test.data_size_out;
  uint32_t ctx_out_len = ctx_len ? (attr.test.ctx_size_out > CTX_OUT_SIZE ? CTX_OUT_SIZE : attr.test.ctx_size_out) : 0;
  if (rc < 0) reply('P', ST_RUN_FAILED, err, 0, 0, NULL, 0, NULL, 0, log, (uint32_t)strlen(log));
  else reply('P', ST_OK, 0, attr.test.retval, attr.test.duration, data_out, out_len, ctx_out, ctx_out_len, log, (uint32_t)strlen(log));
  close(fd);
out:
  free(insns);
  free(data);
  free(ctx);
}

static void create_map(void) {
  union bpf_attr attr;
  memset(&attr, 0, sizeof(attr));
  attr.map_type = read_u32();
  attr.key_size = read_u32();
  attr.value_size = read_u32();
  attr.max_entries = read_u32();
  attr.map_flags = read_u32();
  if (map_count >= MAX_MAPS) {
    reply('M', ST_MAP_ERROR, ENOSPC, 0, 0, NULL, 0, NULL, 0, NULL, 0);
    return;
  }
  int fd = (int)sys_bpf(BPF_MAP_CREATE, &attr);
  if (fd < 0) {
    reply('M', ST_MAP_ERROR, errno, 0, 0, NULL, 0, NULL, 0, NULL, 0);
    return;
  }
  map_fds[map_count] = fd;
  reply('M', ST_OK, 0, (uint32_t)map_count++, 0, NULL, 0, NULL, 0, NULL, 0);
}

static void map_elem(uint32_t tag) {
  uint32_t index = read_u32(), key_len = read_u32(), value_len = read_u32();
  uint32_t flags = tag == 'U' ? read_u32() : 0;
  uint8_t *key = read_blob(key_len);
  uint8_t *value = tag == 'U' ? read_blob(value_len) : NULL;
  if (tag == 'L') {
    if (value_len > MAX_BLOB) die("request field too large");
    value = calloc(value_len ? value_len : 1, 1);
    if (!value) die("out of memory");
  }
  if (!valid_map(index)) {
    reply(tag, ST_MAP_ERROR, EBADF, 0, 0, NULL, 0, NULL, 0, NULL, 0);
  } else {
    union bpf_attr attr;
    memset(&attr, 0, sizeof(attr));
    attr.map_fd = (uint32_t)map_fds[index];
    attr.key = (uintptr_t)key;
    attr.value = (uintptr_t)value;
    attr.flags = flags;
    long rc = sys_bpf(tag == 'U' ? BPF_MAP_UPDATE_ELEM : BPF_MAP_LOOKUP_ELEM, &attr);
    if (rc < 0) reply(tag, ST_MAP_ERROR, errno, 0, 0, NULL, 0, NULL, 0, NULL, 0);
    else reply(tag, ST_OK, 0, 0, 0, value, tag == 'L' ? value_len : 0, NULL, 0, NULL, 0);
  }
  free(key);
  free(value);
}

static void reset_maps(void) {
  for (int i = 0; i < map_count; i++) {
    if (map_fds[i] >= 0) close(map_fds[i]);
  }
  map_count = 0;
  reply('R', ST_OK, 0, 0, 0, NULL, 0, NULL, 0, NULL, 0);
}

int main(void) {
  /* Kernels before 5.11 charge BPF memory to RLIMIT_MEMLOCK; lift it where allowed. */
  struct rlimit unlimited = {RLIM_INFINITY, RLIM_INFINITY};
  setrlimit(RLIMIT_MEMLOCK, &unlimited);
  for (;;) {
    uint32_t tag;
    int r = read_exact(&tag, 4);
    if (r == 0) break;
    if (r < 0) die("truncated request");
    switch (tag) {
      case 'P': run_program(); break;
      case 'M': create_map(); break;
      case 'U':
      case 'L': map_elem(tag); break;
      case 'R': reset_maps(); break;
      default: {
        const char *msg = "unknown request tag";
        reply(tag, ST_BAD_REQUEST, EINVAL, 0, 0, NULL, 0, NULL, 0, msg, (uint32_t)strlen(msg));
        fflush(stdout);
        return 2;
      }
    }
  }
  fflush(stdout);
  return 0;
}

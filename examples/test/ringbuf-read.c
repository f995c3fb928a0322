// Prints every record waiting in a pinned BPF ring buffer, one line of hex
// per record, and exits: how examples/test/kernel.test.ts reads the events
// of examples/ringbuf.c (bpftool cannot). Build: cc ringbuf-read.c -lbpf
#include <stdio.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

static int print_record(void *ctx, void *data, size_t size)
{
	const unsigned char *bytes = data;

	(void)ctx;
	for (size_t i = 0; i < size; i++)
		printf("%02x", bytes[i]);
	printf("\n");
	return 0;
}

int main(int argc, char **argv)
{
	struct ring_buffer *rb;
	int fd, n;

	if (argc != 2) {
		fprintf(stderr, "usage: %s /sys/fs/bpf/PINNED-RINGBUF\n", argv[0]);
		return 2;
	}
	fd = bpf_obj_get(argv[1]);
	if (fd < 0) {
		perror(argv[1]);
		return 1;
	}
	rb = ring_buffer__new(fd, print_record, NULL, NULL);
	if (!rb) {
		perror("ring_buffer__new");
		return 1;
	}
	n = ring_buffer__consume(rb);
	ring_buffer__free(rb);
	return n < 0 ? 1 : 0;
}

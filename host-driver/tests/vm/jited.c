// SPDX-License-Identifier: GPL-2.0
/*
 * jited ID: write the "JITed" code of BPF program ID to stdout, as BPF_OBJ_GET_INFO_BY_FD
 * returns it. For an offloaded program that is the device's image (the guest's bpftool is
 * built without a disassembler, so `bpftool prog dump jited` refuses before reading it).
 */
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static long bpf(int cmd, union bpf_attr *attr)
{
	return syscall(__NR_bpf, cmd, attr, sizeof(*attr));
}

static int get_info(int fd, struct bpf_prog_info *info)
{
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.info.bpf_fd = fd;
	attr.info.info_len = sizeof(*info);
	attr.info.info = (unsigned long)info;
	return bpf(BPF_OBJ_GET_INFO_BY_FD, &attr);
}

int main(int argc, char **argv)
{
	struct bpf_prog_info info;
	union bpf_attr attr;
	unsigned char *buf;
	unsigned int len;
	int fd;

	if (argc != 2)
		return 2;
	memset(&attr, 0, sizeof(attr));
	attr.prog_id = atoi(argv[1]);
	fd = bpf(BPF_PROG_GET_FD_BY_ID, &attr);
	if (fd < 0) {
		perror("BPF_PROG_GET_FD_BY_ID");
		return 1;
	}
	memset(&info, 0, sizeof(info));
	if (get_info(fd, &info)) {
		perror("BPF_OBJ_GET_INFO_BY_FD");
		return 1;
	}
	len = info.jited_prog_len;
	buf = calloc(1, len + 1);
	if (!buf)
		return 1;
	memset(&info, 0, sizeof(info));
	info.jited_prog_len = len;
	info.jited_prog_insns = (unsigned long)buf;
	if (get_info(fd, &info)) {
		perror("BPF_OBJ_GET_INFO_BY_FD");
		return 1;
	}
	fwrite(buf, 1, len, stdout);
	return 0;
}

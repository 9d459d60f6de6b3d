// SPDX-License-Identifier: GPL-2.0
/*
 * Test-only module for the VM runner's self-check: loading it emits one real
 * kernel WARN, which tools/vm must report as a failed run (exit 125).
 */
#include <linux/bug.h>
#include <linux/module.h>

static int __init selftest_warn_init(void)
{
	WARN(1, "zloop_rs selftest: deliberate warning\n");
	return 0;
}

static void __exit selftest_warn_exit(void)
{
}

module_init(selftest_warn_init);
module_exit(selftest_warn_exit);
MODULE_DESCRIPTION("zloop_rs VM runner self-test: WARN on load");
MODULE_LICENSE("GPL");

// SPDX-License-Identifier: GPL-2.0
/*
 * rvo.ko C shim: the kernel glue 6.12's Rust bindings cannot express -- static inlines and
 * macros (netdev_priv, request_irq, pci_register_driver, NL_SET_ERR_MSG, completions,
 * debugfs file operations, the netdev and ethtool ops tables) and the PCI/netdev life cycle
 * around them. Every decision about
 * the device, programs and maps is made in Rust (rvo_main.rs), through the rvo_rs_* calls.
 */
#include <linux/bpf.h>
#include <linux/bpf_verifier.h>
#include <linux/completion.h>
#include <linux/debugfs.h>
#include <linux/etherdevice.h>
#include <linux/ethtool.h>
#include <linux/interrupt.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/netdevice.h>
#include <linux/pci.h>
#include <linux/rtnetlink.h>
#include <linux/skbuff.h>
#include <net/xdp.h>

#define RVO_BAR_REGS 0
#define RVO_BAR_SHM 2
#define RVO_VECTORS 2

struct rvo_dev {
	struct pci_dev *pdev;
	void __iomem *regs;
	void __iomem *shm;
	struct net_device *netdev;
	struct bpf_offload_dev *offdev;
	struct mutex cmd_lock;
	struct completion cmd_done;
	struct dentry *debugfs;
};

struct rvo_netpriv {
	struct rvo_dev *rd;
	struct xdp_attachment_info xdp_hw;
};

/* Implemented in Rust (rvo_main.rs). */
extern const struct bpf_prog_offload_ops rvo_prog_offload_ops;
int rvo_rs_probe(struct rvo_dev *rd, void __iomem *shm, u64 shm_len, u32 *max_mtu);
int rvo_rs_setup_prog_hw(struct rvo_dev *rd, struct net_device *netdev, struct bpf_prog *prog,
			 struct netlink_ext_ack *extack);
int rvo_rs_map_alloc(struct rvo_dev *rd, struct bpf_offloaded_map *offmap);
void rvo_rs_map_free(struct rvo_dev *rd, struct bpf_offloaded_map *offmap);
void rvo_rs_rx(struct rvo_dev *rd);
int rvo_rs_xmit(struct rvo_dev *rd, const void *data, u32 len);
ssize_t rvo_rs_counters(struct rvo_dev *rd, char *buf, size_t len);
int rvo_rs_wire_run(struct rvo_dev *rd, const char *name, u32 ifindex);
void rvo_rs_get_stats64(struct rvo_dev *rd, struct rtnl_link_stats64 *stats);
void rvo_rs_get_drvinfo(struct rvo_dev *rd, struct ethtool_drvinfo *info);
int rvo_rs_get_sset_count(int sset);
void rvo_rs_get_strings(u32 sset, u8 *data);
void rvo_rs_get_ethtool_stats(struct rvo_dev *rd, u64 *data);

/* Called from Rust. */
void __iomem *rvo_shim_regs(struct rvo_dev *rd);
void __iomem *rvo_shim_shm(struct rvo_dev *rd);
void rvo_shim_cmd_lock(struct rvo_dev *rd);
void rvo_shim_cmd_unlock(struct rvo_dev *rd);
void rvo_shim_cmd_arm(struct rvo_dev *rd);
int rvo_shim_cmd_wait(struct rvo_dev *rd, unsigned int ms);
void rvo_shim_extack(struct netlink_ext_ack *extack, const char *msg);
void rvo_shim_rx_frame(struct rvo_dev *rd, const void __iomem *data, u32 len);
int rvo_shim_register(void);
void rvo_shim_unregister(void);

static struct dentry *rvo_debugfs_root;

/* ---- accessors and primitives for Rust ---- */

void __iomem *rvo_shim_regs(struct rvo_dev *rd)
{
	return rd->regs;
}

void __iomem *rvo_shim_shm(struct rvo_dev *rd)
{
	return rd->shm;
}

void rvo_shim_cmd_lock(struct rvo_dev *rd)
{
	mutex_lock(&rd->cmd_lock);
}

void rvo_shim_cmd_unlock(struct rvo_dev *rd)
{
	mutex_unlock(&rd->cmd_lock);
}

/* Forget completions of earlier commands; called before a command is submitted. */
void rvo_shim_cmd_arm(struct rvo_dev *rd)
{
	reinit_completion(&rd->cmd_done);
}

/* Wait for the command-done interrupt: 0, or -ETIMEDOUT after @ms milliseconds. */
int rvo_shim_cmd_wait(struct rvo_dev *rd, unsigned int ms)
{
	if (!wait_for_completion_timeout(&rd->cmd_done, msecs_to_jiffies(ms)))
		return -ETIMEDOUT;
	return 0;
}

/* What NL_SET_ERR_MSG does for a string that is not a literal: @msg must be static. */
void rvo_shim_extack(struct netlink_ext_ack *extack, const char *msg)
{
	if (extack)
		extack->_msg = msg;
}

/*
 * One passed frame from the RX ring up the stack. The device counts it (host_rx); the host
 * counts only the frames it could not take.
 */
void rvo_shim_rx_frame(struct rvo_dev *rd, const void __iomem *data, u32 len)
{
	struct net_device *dev = rd->netdev;
	struct sk_buff *skb;

	skb = netdev_alloc_skb_ip_align(dev, len);
	if (!skb) {
		dev_core_stats_rx_dropped_inc(dev);
		return;
	}
	memcpy_fromio(skb_put(skb, len), data, len);
	skb->protocol = eth_type_trans(skb, dev);
	netif_rx(skb);
}

/* ---- interrupts ---- */

static irqreturn_t rvo_cmd_irq(int irq, void *data)
{
	struct rvo_dev *rd = data;

	complete(&rd->cmd_done);
	return IRQ_HANDLED;
}

static irqreturn_t rvo_rx_irq(int irq, void *data)
{
	struct rvo_dev *rd = data;

	if (rd->netdev)
		rvo_rs_rx(rd);
	return IRQ_HANDLED;
}

/* ---- netdev ---- */

static int rvo_ndo_bpf(struct net_device *dev, struct netdev_bpf *bpf)
{
	struct rvo_netpriv *np = netdev_priv(dev);
	int err;

	ASSERT_RTNL();
	switch (bpf->command) {
	case XDP_SETUP_PROG:
		if (!bpf->prog)
			return 0;
		NL_SET_ERR_MSG_MOD(bpf->extack, "rvo runs XDP only offloaded (xdpoffload)");
		return -EOPNOTSUPP;
	case XDP_SETUP_PROG_HW:
		err = rvo_rs_setup_prog_hw(np->rd, dev, bpf->prog, bpf->extack);
		if (err)
			return err;
		xdp_attachment_setup(&np->xdp_hw, bpf);
		return 0;
	case BPF_OFFLOAD_MAP_ALLOC:
		return rvo_rs_map_alloc(np->rd, bpf->offmap);
	case BPF_OFFLOAD_MAP_FREE:
		rvo_rs_map_free(np->rd, bpf->offmap);
		return 0;
	default:
		return -EINVAL;
	}
}

/* The device counts what it sends (host_tx, wire_tx); the host only what it could not queue. */
static netdev_tx_t rvo_start_xmit(struct sk_buff *skb, struct net_device *dev)
{
	struct rvo_netpriv *np = netdev_priv(dev);

	if (skb_linearize(skb) || rvo_rs_xmit(np->rd, skb->data, skb->len))
		dev_core_stats_tx_dropped_inc(dev);
	dev_kfree_skb_any(skb);
	return NETDEV_TX_OK;
}

static void rvo_get_stats64(struct net_device *dev, struct rtnl_link_stats64 *stats)
{
	struct rvo_netpriv *np = netdev_priv(dev);

	rvo_rs_get_stats64(np->rd, stats);
}

static const struct net_device_ops rvo_netdev_ops = {
	.ndo_start_xmit = rvo_start_xmit,
	.ndo_bpf = rvo_ndo_bpf,
	.ndo_get_stats64 = rvo_get_stats64,
	.ndo_set_mac_address = eth_mac_addr,
	.ndo_validate_addr = eth_validate_addr,
};

/* ---- ethtool: -i and -S, answered by Rust from the device's identity and counters ---- */

static void rvo_get_drvinfo(struct net_device *dev, struct ethtool_drvinfo *info)
{
	struct rvo_netpriv *np = netdev_priv(dev);

	rvo_rs_get_drvinfo(np->rd, info);
	strscpy(info->bus_info, pci_name(np->rd->pdev), sizeof(info->bus_info));
}

static int rvo_get_sset_count(struct net_device *dev, int sset)
{
	return rvo_rs_get_sset_count(sset);
}

static void rvo_get_strings(struct net_device *dev, u32 sset, u8 *data)
{
	rvo_rs_get_strings(sset, data);
}

static void rvo_get_ethtool_stats(struct net_device *dev, struct ethtool_stats *stats, u64 *data)
{
	struct rvo_netpriv *np = netdev_priv(dev);

	rvo_rs_get_ethtool_stats(np->rd, data);
}

static const struct ethtool_ops rvo_ethtool_ops = {
	.get_drvinfo = rvo_get_drvinfo,
	.get_link = ethtool_op_get_link,
	.get_sset_count = rvo_get_sset_count,
	.get_strings = rvo_get_strings,
	.get_ethtool_stats = rvo_get_ethtool_stats,
};

/* ---- debugfs: counters (read), wire (write a capture name to run it) ---- */

static ssize_t rvo_counters_read(struct file *f, char __user *ubuf, size_t len, loff_t *pos)
{
	struct rvo_dev *rd = f->private_data;
	char *buf;
	ssize_t n;

	buf = kzalloc(PAGE_SIZE, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	n = rvo_rs_counters(rd, buf, PAGE_SIZE);
	if (n >= 0)
		n = simple_read_from_buffer(ubuf, len, pos, buf, n);
	kfree(buf);
	return n;
}

static ssize_t rvo_wire_write(struct file *f, const char __user *ubuf, size_t len, loff_t *pos)
{
	struct rvo_dev *rd = f->private_data;
	char name[64];
	int err;

	if (len == 0 || len >= sizeof(name))
		return -EINVAL;
	if (copy_from_user(name, ubuf, len))
		return -EFAULT;
	name[len] = 0;
	strim(name);
	err = rvo_rs_wire_run(rd, name, rd->netdev->ifindex);
	return err < 0 ? err : len;
}

static const struct file_operations rvo_counters_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.read = rvo_counters_read,
	.llseek = default_llseek,
};

static const struct file_operations rvo_wire_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.write = rvo_wire_write,
};

/* ---- PCI ---- */

static int rvo_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct rvo_netpriv *np;
	struct net_device *netdev;
	struct rvo_dev *rd;
	u32 max_mtu = ETH_DATA_LEN;
	int err, i;

	rd = devm_kzalloc(&pdev->dev, sizeof(*rd), GFP_KERNEL);
	if (!rd)
		return -ENOMEM;
	rd->pdev = pdev;
	mutex_init(&rd->cmd_lock);
	init_completion(&rd->cmd_done);
	pci_set_drvdata(pdev, rd);

	err = pcim_enable_device(pdev);
	if (err)
		return err;
	/* MSI-X writes are bus-master writes: without this no completion ever arrives. */
	pci_set_master(pdev);
	rd->regs = pcim_iomap(pdev, RVO_BAR_REGS, 0);
	rd->shm = pcim_iomap(pdev, RVO_BAR_SHM, 0);
	if (!rd->regs || !rd->shm)
		return -ENOMEM;
	err = rvo_rs_probe(rd, rd->shm, pci_resource_len(pdev, RVO_BAR_SHM), &max_mtu);
	if (err)
		return err;

	err = pci_alloc_irq_vectors(pdev, RVO_VECTORS, RVO_VECTORS, PCI_IRQ_MSIX);
	if (err < 0)
		return err;
	for (i = 0; i < RVO_VECTORS; i++) {
		err = devm_request_irq(&pdev->dev, pci_irq_vector(pdev, i),
				       i == 0 ? rvo_cmd_irq : rvo_rx_irq, 0,
				       i == 0 ? "rvo-cmd" : "rvo-rx", rd);
		if (err)
			return err;
	}

	rd->offdev = bpf_offload_dev_create(&rvo_prog_offload_ops, rd);
	if (IS_ERR(rd->offdev))
		return PTR_ERR(rd->offdev);

	netdev = alloc_etherdev(sizeof(*np));
	if (!netdev) {
		err = -ENOMEM;
		goto err_offdev;
	}
	strscpy(netdev->name, "rvo%d", IFNAMSIZ);
	SET_NETDEV_DEV(netdev, &pdev->dev);
	netdev->netdev_ops = &rvo_netdev_ops;
	netdev->ethtool_ops = &rvo_ethtool_ops;
	netdev->max_mtu = max_mtu;
	eth_hw_addr_random(netdev);
	np = netdev_priv(netdev);
	np->rd = rd;

	err = register_netdev(netdev);
	if (err)
		goto err_free;
	err = bpf_offload_dev_netdev_register(rd->offdev, netdev);
	if (err)
		goto err_unregister;
	rd->netdev = netdev;

	rd->debugfs = debugfs_create_dir(pci_name(pdev), rvo_debugfs_root);
	debugfs_create_file("counters", 0400, rd->debugfs, rd, &rvo_counters_fops);
	debugfs_create_file("wire", 0200, rd->debugfs, rd, &rvo_wire_fops);
	dev_info(&pdev->dev, "%s: rvo device\n", netdev->name);
	return 0;

err_unregister:
	unregister_netdev(netdev);
err_free:
	free_netdev(netdev);
err_offdev:
	bpf_offload_dev_destroy(rd->offdev);
	return err;
}

static void rvo_remove(struct pci_dev *pdev)
{
	struct rvo_dev *rd = pci_get_drvdata(pdev);
	struct net_device *netdev = rd->netdev;

	debugfs_remove_recursive(rd->debugfs);
	disable_irq(pci_irq_vector(pdev, 1));
	/*
	 * Unregistering detaches the XDP program (ndo_bpf with a NULL program); unregistering
	 * from the offload device then destroys the programs and maps bound to it, which calls
	 * ndo_bpf(BPF_OFFLOAD_MAP_FREE) and so needs RTNL.
	 */
	rtnl_lock();
	unregister_netdevice(netdev);
	bpf_offload_dev_netdev_unregister(rd->offdev, netdev);
	rtnl_unlock();
	rd->netdev = NULL;
	free_netdev(netdev);
	bpf_offload_dev_destroy(rd->offdev);
}

static const struct pci_device_id rvo_ids[] = {
	{ PCI_DEVICE(0x1af4, 0x1110) },
	{ }
};
MODULE_DEVICE_TABLE(pci, rvo_ids);

static struct pci_driver rvo_pci_driver = {
	.name = "rvo",
	.id_table = rvo_ids,
	.probe = rvo_probe,
	.remove = rvo_remove,
};

int rvo_shim_register(void)
{
	int err;

	rvo_debugfs_root = debugfs_create_dir("rvo", NULL);
	err = pci_register_driver(&rvo_pci_driver);
	if (err)
		debugfs_remove_recursive(rvo_debugfs_root);
	return err;
}

void rvo_shim_unregister(void)
{
	pci_unregister_driver(&rvo_pci_driver);
	debugfs_remove_recursive(rvo_debugfs_root);
}

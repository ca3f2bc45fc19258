"""Text parsers: ``lsusb -v`` and ``/sys/kernel/debug/usb/devices`` into descriptor dicts."""

from __future__ import annotations

from usb_backend import FIXTURE_DIR, load_fixture

from serialprobe.enumerate.usb import device_from_fixture, parse_lsusb_verbose, parse_usb_devices

_CLASS_NAMES = {0x02: "Communications", 0x0A: "CDC Data", 0xFF: "Vendor Specific Class", 0x08: "Mass Storage"}


def cls_name(intf: dict) -> str:
    """lsusb's name of an interface class."""
    return _CLASS_NAMES.get(int(str(intf["bInterfaceClass"]), 0), "")


def lsusb_text(fixture: dict) -> str:
    """Render a fixture in ``lsusb -v`` layout (with class-specific blocks the parser must skip)."""
    d = fixture
    n = lambda v: int(str(v), 0)  # noqa: E731
    strings = d.get("strings", {})
    vid, pid = n(d["idVendor"]), n(d["idProduct"])
    out = [
        f"Bus {d['bus']:03d} Device {d['address']:03d}: ID {vid:04x}:{pid:04x} Some Name",
        "Device Descriptor:",
        "  bLength                18",
        f"  bcdUSB               {n(d.get('bcdUSB', 0x200)) >> 8}.{n(d.get('bcdUSB', 0x200)) & 0xFF:02x}",
        f"  bDeviceClass          {n(d.get('bDeviceClass', 0)):3d} (Defined at Interface level)",
        f"  bDeviceSubClass       {n(d.get('bDeviceSubClass', 0)):3d} ",
        f"  bDeviceProtocol       {n(d.get('bDeviceProtocol', 0)):3d} ",
        f"  idVendor           0x{n(d['idVendor']):04x} Vendor",
        f"  idProduct          0x{n(d['idProduct']):04x} ",
        f"  bcdDevice           {n(d.get('bcdDevice', 0)) >> 8:2x}.{n(d.get('bcdDevice', 0)) & 0xFF:02x}",
    ]
    for key in ("iManufacturer", "iProduct", "iSerial"):
        src = "iSerialNumber" if key == "iSerial" else key
        index = n(d.get(src, 0))
        out.append(f"  {key:<16s} {index:5d} {strings.get(str(index), '')}")
    for cfg in d["configurations"]:
        out += [
            "  Configuration Descriptor:",
            f"    bNumInterfaces     {len(cfg['interfaces']):5d}",
            "    bConfigurationValue     1",
            "    bmAttributes         0xa0",
            "      (Bus Powered)",
        ]
        for i in cfg["interfaces"]:
            out += [
                "    Interface Association:",
                "      bFirstInterface         9",
                "    Interface Descriptor:",
                f"      bInterfaceNumber     {n(i['bInterfaceNumber']):5d}",
                f"      bAlternateSetting    {n(i.get('bAlternateSetting', 0)):5d}",
                f"      bNumEndpoints        {len(i['endpoints']):5d}",
                f"      bInterfaceClass      {n(i['bInterfaceClass']):5d} {cls_name(i)}",
                f"      bInterfaceSubClass   {n(i['bInterfaceSubClass']):5d} ",
                f"      bInterfaceProtocol   {n(i['bInterfaceProtocol']):5d} ",
                "      CDC Header:",
                "        bcdCDC               1.10",
                "        bInterfaceNumber        77",
            ]
            for e in i["endpoints"]:
                out += [
                    "      Endpoint Descriptor:",
                    f"        bEndpointAddress     0x{n(e['bEndpointAddress']):02x}  EP 1 IN",
                    f"        bmAttributes            {n(e['bmAttributes'])}",
                    "          Transfer Type            Bulk",
                    f"        wMaxPacketSize     0x{n(e.get('wMaxPacketSize', 64)):04x}  1x 512 bytes",
                    f"        bInterval               {n(e.get('bInterval', 0))}",
                ]
    out += [
        "Device Qualifier (for other device speed):",
        "  bDeviceClass          255 ",
        "Device Status:     0x0000",
    ]
    return "\n".join(out) + "\n"


def _shape(device):
    return (
        device.vid,
        device.pid,
        device.manufacturer,
        device.product,
        device.device_class,
        [
            [
                (i.number, i.alternate, i.triple, [(e.address, e.attributes) for e in i.endpoints])
                for i in c.interfaces
            ]
            for c in device.configurations
        ],
    )


def test_lsusb_verbose_round_trip():
    for name in ("sierra_em7455.json", "simcom_sim7600.json", "huawei_e3372_hilink.json", "ftdi_ft232r.json"):
        fixture = load_fixture(FIXTURE_DIR / name)["device"]
        [parsed] = parse_lsusb_verbose(lsusb_text(fixture))
        assert _shape(device_from_fixture(parsed)) == _shape(device_from_fixture(fixture)), name


def test_usb_devices_text():
    text = (FIXTURE_DIR / "fibocom_l850gl.usbdevices.txt").read_text(encoding="utf-8")
    [dev] = parse_usb_devices(text)
    assert (dev["idVendor"], dev["idProduct"], dev["bcdDevice"]) == (0x2CB7, 0x0007, 0x0333)
    assert dev["strings"]["2"] == "L850-GL"
    intfs = dev["configurations"][0]["interfaces"]
    assert [(i["bInterfaceNumber"], i["bAlternateSetting"]) for i in intfs][:4] == [
        (0, 0),
        (1, 0),
        (1, 1),
        (2, 0),
    ]
    assert intfs[0]["driver"] == "cdc_mbim"
    assert intfs[0]["bInterfaceClass"] == 0x02
    assert [e["bEndpointAddress"] for e in intfs[2]["endpoints"]] == [0x82, 0x02]
    assert dev["configurations"][0]["bNumInterfaces"] == 8


def test_usb_devices_multiple_devices_and_none_driver():
    text = (
        "T:  Bus=01 Lev=00 Prnt=00 Port=00 Cnt=00 Dev#=  1 Spd=480  MxCh= 1\n"
        "D:  Ver= 2.00 Cls=09(hub  ) Sub=00 Prot=00 MxPS=64 #Cfgs=  1\n"
        "P:  Vendor=1d6b ProdID=0002 Rev= 6.01\n"
        "C:* #Ifs= 1 Cfg#= 1 Atr=e0 MxPwr=  0mA\n"
        "I:* If#= 0 Alt= 0 #EPs= 1 Cls=09(hub  ) Sub=00 Prot=00 Driver=(none)\n"
        "E:  Ad=81(I) Atr=03(Int.) MxPS=   4 Ivl=256ms\n"
        "\n"
        "T:  Bus=01 Lev=01 Prnt=01 Port=00 Cnt=01 Dev#=  2 Spd=480  MxCh= 0\n"
        "P:  Vendor=05c6 ProdID=9625 Rev= 3.18\n"
        "C:* #Ifs= 1 Cfg#= 1 Atr=a0 MxPwr=500mA\n"
        "I:* If#= 1 Alt= 0 #EPs= 2 Cls=ff(vend.) Sub=42 Prot=01 Driver=(none)\n"
    )
    hub, yuga = parse_usb_devices(text)
    assert hub["bDeviceClass"] == 0x09
    assert hub["configurations"][0]["interfaces"][0]["driver"] is None
    assert yuga["address"] == 2
    assert yuga["configurations"][0]["interfaces"][0]["bInterfaceSubClass"] == 0x42

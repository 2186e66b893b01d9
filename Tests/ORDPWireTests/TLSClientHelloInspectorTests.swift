import NIOCore
import ORDPWire
import Testing

@Suite struct TLSClientHelloInspectorTests {
  /// A minimal TLS 1.2-style ClientHello record with optional ALPN.
  static func clientHello(alpn: [String]?, splitRecords: Bool = false) -> ByteBuffer {
    var body = ByteBuffer()
    body.writeInteger(UInt16(0x0303))
    body.writeBytes(Array(repeating: 7, count: 32))
    body.writeInteger(UInt8(0))  // session id
    body.writeInteger(UInt16(2))
    body.writeInteger(UInt16(0x1301))
    body.writeInteger(UInt8(1))
    body.writeInteger(UInt8(0))
    var exts = ByteBuffer()
    // server_name extension, to be skipped
    exts.writeInteger(UInt16(0))
    exts.writeInteger(UInt16(0))
    if let alpn {
      var list = ByteBuffer()
      for p in alpn {
        list.writeInteger(UInt8(p.utf8.count))
        list.writeString(p)
      }
      exts.writeInteger(UInt16(16))
      exts.writeInteger(UInt16(list.readableBytes + 2))
      exts.writeInteger(UInt16(list.readableBytes))
      exts.writeBuffer(&list)
    }
    body.writeInteger(UInt16(exts.readableBytes))
    body.writeBuffer(&exts)
    var handshake = ByteBuffer()
    handshake.writeInteger(UInt8(1))
    handshake.writeInteger(UInt8(0))
    handshake.writeInteger(UInt16(body.readableBytes))
    handshake.writeBuffer(&body)
    var out = ByteBuffer()
    let chunks: [ByteBuffer] =
      splitRecords
      ? [
        handshake.getSlice(at: 0, length: 10)!,
        handshake.getSlice(at: 10, length: handshake.readableBytes - 10)!,
      ]
      : [handshake]
    for var c in chunks {
      out.writeBytes([0x16, 0x03, 0x01])
      out.writeInteger(UInt16(c.readableBytes))
      out.writeBuffer(&c)
    }
    return out
  }

  let inspector = TLSClientHelloInspector()

  @Test func acceptsOfferWithOrdp() {
    #expect(
      inspector.inspect(Self.clientHello(alpn: ["h2", "ordp/1"]))
        == .accept(offeredALPN: ["h2", "ordp/1"]))
  }

  @Test func acceptsNoALPN() {
    #expect(inspector.inspect(Self.clientHello(alpn: nil)) == .accept(offeredALPN: nil))
  }

  @Test func refusesOfferWithoutOrdp() {
    #expect(
      inspector.inspect(Self.clientHello(alpn: ["h2", "http/1.1"]))
        == .alpnMismatch(offered: ["h2", "http/1.1"]))
  }

  @Test func reassemblesAcrossRecordsAndWaitsForMore() {
    let whole = Self.clientHello(alpn: ["ordp/1"], splitRecords: true)
    #expect(inspector.inspect(whole) == .accept(offeredALPN: ["ordp/1"]))
    for cut in [0, 3, 5, 12, whole.readableBytes - 1] {
      #expect(inspector.inspect(whole.getSlice(at: 0, length: cut)!) == .needMoreData)
    }
  }

  @Test func garbageIsNotTLS() {
    #expect(inspector.inspect(ByteBuffer(string: "GET / HTTP/1.1\r\n")) == .notTLS)
    #expect(
      inspector.inspect(ByteBuffer(bytes: [0x16, 0x03, 0x01, 0x00, 0x05, 0x02, 0, 0, 1, 0]))
        == .notTLS)
  }
}

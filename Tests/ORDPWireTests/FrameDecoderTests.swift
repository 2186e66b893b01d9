import NIOCore
import ORDPWire
import Testing

@Suite struct FrameDecoderTests {
  @Test func roundTripsEveryFrameTypeIncludingUnknown() throws {
    let frames = [
      F.hello(), F.headers(1), F.message(1, size: 10, end: true),
      F.raw(FrameType(rawValue: 0x42), 7, bytes: [1, 2]),
      F.raw(.ping, 0, flags: .ack, bytes: Array(0..<8)),
    ]
    var buffer = F.encode(frames)
    let decoder = FrameDecoder(maxFrameSize: 1024)
    var decoded: [Frame] = []
    while let f = try decoder.nextFrame(from: &buffer) { decoded.append(f) }
    #expect(decoded == frames)
    #expect(buffer.readableBytes == 0)
  }

  @Test func waitsForCompleteFramesAndConsumesNothingMeanwhile() throws {
    let whole = F.encode([F.message(3, size: 20)])
    let decoder = FrameDecoder(maxFrameSize: 1024)
    for cut in 0..<whole.readableBytes {
      var partial = whole.getSlice(at: 0, length: cut)!
      #expect(try decoder.nextFrame(from: &partial) == nil)
      #expect(partial.readableBytes == cut)
    }
  }

  @Test func rejectsOversizedFrameFromTheHeaderAlone() {
    var header = ByteBuffer()
    header.writeFrameHeader(.message, flags: [], streamID: 1, length: 2_000)
    let decoder = FrameDecoder(maxFrameSize: 1_000)
    #expect(throws: FrameDecodingError.frameTooLarge(length: 2_000, limit: 1_000)) {
      try decoder.nextFrame(from: &header)
    }
  }

  @Test func acceptsAFrameOfExactlyTheLimit() throws {
    var buffer = F.encode([F.message(1, size: 100)])
    #expect(
      try FrameDecoder(maxFrameSize: 100).nextFrame(from: &buffer)?.payload.readableBytes == 100)
  }

  @Test func headerFieldsDecodeWithTheirHighBitsSet() throws {
    var b = ByteBuffer(bytes: [0, 0, 0, 1, 0xFE, 0xFF, 0x81, 0x82, 0x83, 0x84, 7])
    let frame = try #require(try FrameDecoder(maxFrameSize: 16).nextFrame(from: &b))
    #expect(frame.type.rawValue == 0xFE)
    #expect(frame.flags.rawValue == 0xFF)
    #expect(frame.streamID == 0x8182_8384)
    #expect(Array(frame.payload.readableBytesView) == [7])
    #expect(b.readableBytes == 0)
  }

  @Test func headerLayoutIsBigEndianAsInWireMd() {
    var b = ByteBuffer()
    b.writeFrame(.windowUpdate, flags: .endStream, streamID: 0x0102_0304, bytes: [9, 9])
    #expect(Array(b.readableBytesView) == [0, 0, 0, 2, 0x07, 0x01, 1, 2, 3, 4, 9, 9])
  }
}

@Suite struct FlowWindowTests {
  @Test func mayGoNegativeButThenBlocks() {
    var w = FlowWindow(initial: 10)
    let r1 = w.consume(25)
    #expect(r1)
    #expect(w.available == -15)
    let r2 = w.consume(1)
    #expect(!r2)
    let r3 = w.grant(15)
    #expect(r3)
    #expect(!w.isOpen)
    let r4 = w.grant(1)
    #expect(r4)
    #expect(w.isOpen)
  }

  @Test func refusesOverflow() {
    var w = FlowWindow(initial: UInt32(Int32.max))
    let r5 = w.grant(1)
    #expect(!r5)
  }

  @Test func replenisherGrantsAfterHalfTheWindow() {
    var r = WindowReplenisher(initialWindow: 100)
    let r6 = r.consumed(30)
    #expect(r6 == nil)
    let r7 = r.consumed(30)
    #expect(r7 == 60)
    let r8 = r.consumed(10)
    #expect(r8 == nil)
  }
}

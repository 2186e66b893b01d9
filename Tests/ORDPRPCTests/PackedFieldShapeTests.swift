import NIOCore
import ORDPRPC
import Testing

/// The scan that refuses repeated scalar fields in many packed chunks before a request is
/// decoded (swift-protobuf decodes those in quadratic time).
@Suite struct PackedFieldShapeTests {
  /// Field 3 holds numbers; field 4 is a singular message and field 5 a repeated one, both of
  /// a type whose field 1 holds numbers.
  let shape = PackedFieldShape(
    packed: [3], nested: [4: PackedFieldShape(packed: [1]), 5: PackedFieldShape(packed: [1])],
    merged: [4])

  func key(_ number: Int, _ wireType: Int) -> [UInt8] { varint(UInt64(number << 3 | wireType)) }

  func varint(_ value: UInt64) -> [UInt8] {
    var value = value
    var bytes: [UInt8] = []
    while value >= 0x80 {
      bytes.append(UInt8(value & 0x7f) | 0x80)
      value >>= 7
    }
    return bytes + [UInt8(value)]
  }

  /// Field `number` as a length-delimited record around `body`.
  func record(_ number: Int, _ body: [UInt8]) -> [UInt8] {
    key(number, 2) + varint(UInt64(body.count)) + body
  }

  func scan(_ bytes: [UInt8]) -> String? {
    shape.tooManyChunks(in: ByteBuffer(bytes: bytes))
  }

  @Test func chunksAreCountedPerFieldUpToTheLimit() {
    let chunk = record(3, [1, 2, 3])
    let allowed = Array(repeating: chunk, count: PackedFieldShape.maximumChunks).flatMap { $0 }
    #expect(scan(allowed) == nil)
    #expect(scan(allowed + chunk) == "3")
    // Other fields between the chunks do not reset the count; other length-delimited fields
    // (strings) are not counted at all.
    let mixed = allowed + key(1, 0) + [7] + record(2, Array("soest".utf8)) + chunk
    #expect(scan(mixed) == "3")
    #expect(scan(Array(repeating: record(2, [65]), count: 1000).flatMap { $0 }) == nil)
    // Numbers sent unpacked (one key each) are decoded in linear time: not counted.
    #expect(scan(Array(repeating: key(3, 0) + [5], count: 1000).flatMap { $0 }) == nil)
  }

  @Test func nestedMessagesAreScannedEachOnItsOwnOrMergedWhenSingular() {
    let inner = record(1, [9])
    let full = Array(repeating: inner, count: PackedFieldShape.maximumChunks).flatMap { $0 }
    // Many elements of the repeated field 5, each within the limit: fine.
    #expect(scan(Array(repeating: record(5, full), count: 100).flatMap { $0 }) == nil)
    // One element beyond it: named by its path.
    #expect(scan(record(5, full) + record(5, full + inner)) == "5.1")
    // Occurrences of the singular field 4 merge when decoded: capped as such.
    let occurrences = Array(repeating: record(4, full), count: PackedFieldShape.maximumChunks)
    #expect(scan(occurrences.flatMap { $0 }) == nil)
    #expect(scan((occurrences + [record(4, inner)]).flatMap { $0 }) == "4")
  }

  @Test func malformedBytesAreLeftToTheDecoder() {
    // A truncated varint, a length beyond the end, an unknown wire type, a huge key: no
    // verdict, no crash, no read beyond the buffer.
    for bytes: [UInt8] in [
      [0x80], key(3, 2) + [0xff, 0xff, 0xff, 0xff, 0x0f], key(3, 7), key(1, 1) + [1, 2],
      [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0x00], [],
    ] {
      #expect(scan(bytes) == nil)
    }
    // A nested length that runs past its parent is refused by the parent's bounds.
    #expect(scan(key(5, 2) + [3] + key(1, 2) + [0x7f]) == nil)
  }
}

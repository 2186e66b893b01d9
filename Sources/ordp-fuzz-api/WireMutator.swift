import Foundation
import ORDPWire

/// Mutates serialized protobuf messages at the wire level, for any message type: the fields
/// are parsed as tag, wire type and value, changed, and written back. What a hostile client
/// does to a request: extreme integers, far timestamps, huge repeated fields, long and odd
/// UTF-8, bogus tokens, nested messages changed in turn, unknown fields, flipped bytes.
struct WireMutator {
  /// One field as it is on the wire.
  enum Value: Equatable {
    case varint(UInt64)
    case fixed64(UInt64)
    case bytes([UInt8])
    case fixed32(UInt32)
  }

  struct Field: Equatable {
    var number: UInt64
    var value: Value
  }

  /// Messages never grow beyond this (the runtime's frame limit is 4 MiB).
  static let sizeLimit = 3_500_000

  var random: SplitMix64

  // MARK: Wire format

  /// The fields of `bytes`, or nil when they are not a well-formed message.
  static func parse(_ bytes: [UInt8]) -> [Field]? {
    var fields: [Field] = []
    var position = 0
    func varint() -> UInt64? { WireVarint.read(bytes, at: &position) }
    while position < bytes.count {
      guard let key = varint(), key >> 3 > 0 else { return nil }
      let number = key >> 3
      switch key & 7 {
      case 0:
        guard let value = varint() else { return nil }
        fields.append(Field(number: number, value: .varint(value)))
      case 1:
        guard position + 8 <= bytes.count else { return nil }
        var value: UInt64 = 0
        for index in 0..<8 { value |= UInt64(bytes[position + index]) << (8 * UInt64(index)) }
        position += 8
        fields.append(Field(number: number, value: .fixed64(value)))
      case 2:
        guard let length = varint(), length <= UInt64(bytes.count - position) else { return nil }
        let end = position + Int(length)
        fields.append(Field(number: number, value: .bytes(Array(bytes[position..<end]))))
        position = end
      case 5:
        guard position + 4 <= bytes.count else { return nil }
        var value: UInt32 = 0
        for index in 0..<4 { value |= UInt32(bytes[position + index]) << (8 * UInt32(index)) }
        position += 4
        fields.append(Field(number: number, value: .fixed32(value)))
      default:
        return nil
      }
    }
    return fields
  }

  static func serialize(_ fields: [Field]) -> [UInt8] {
    var out: [UInt8] = []
    func varint(_ value: UInt64) {
      var value = value
      while value >= 0x80 {
        out.append(UInt8(truncatingIfNeeded: value) | 0x80)
        value >>= 7
      }
      out.append(UInt8(value))
    }
    for field in fields {
      switch field.value {
      case .varint(let value):
        varint(field.number << 3)
        varint(value)
      case .fixed64(let value):
        varint(field.number << 3 | 1)
        for index in 0..<8 { out.append(UInt8(truncatingIfNeeded: value >> (8 * UInt64(index)))) }
      case .bytes(let bytes):
        varint(field.number << 3 | 2)
        varint(UInt64(bytes.count))
        out += bytes
      case .fixed32(let value):
        varint(field.number << 3 | 5)
        for index in 0..<4 { out.append(UInt8(truncatingIfNeeded: value >> (8 * UInt32(index)))) }
      }
    }
    return out
  }

  // MARK: Mutations

  mutating func below(_ bound: Int) -> Int { Int(random.next() % UInt64(max(1, bound))) }
  mutating func chance(_ percent: Int) -> Bool { below(100) < percent }

  /// Integers at the edges: zero, one, the ends of every width, around 2^63, far timestamps.
  static let extremeIntegers: [UInt64] = [
    0, 1, 2, 0x7f, 0x80, 0xff, 0x7fff_ffff, 0x8000_0000, 0xffff_ffff, 0x1_0000_0000,
    0x7fff_ffff_ffff_ffff, 0x8000_0000_0000_0000, 0xffff_ffff_ffff_ffff,
    UInt64(bitPattern: -1), UInt64(bitPattern: -1_000_000),
    UInt64(bitPattern: Int64.min), UInt64(bitPattern: Int64.min + 1),
    // Far timestamps in microseconds: year 1, year 9999, ±2^62.
    UInt64(bitPattern: -62_135_596_800_000_000), 253_402_300_799_000_000, 1 << 62,
    UInt64(bitPattern: -(1 << 62)), 10_000, 1_000_000, 86_400_000_000,
  ]

  /// Doubles at the edges.
  static let extremeDoubles: [Double] = [
    .nan, .infinity, -.infinity, .greatestFiniteMagnitude, -.greatestFiniteMagnitude,
    .leastNonzeroMagnitude, 0, -0.0, 1e300, -1e300, 1e-300, 181, -91, 1,
  ]

  /// Texts a validator has to survive.
  static let oddTexts: [String] = [
    "", " ", "\u{0}", "a\u{0}b", "ß", "Straße", "\u{202E}evil", "e\u{301}\u{301}\u{301}\u{301}",
    "🏳️‍🌈🏳️‍🌈", "soest", "soest/", "/", "..", "../../etc/passwd", "%00", "' OR 1=1 --",
    "\"; DROP TABLE dataset; --", "*", "NULL", "-1", "9223372036854775808",
    "18446744073709551616", "ordpk_x_y", "ordpr_x", "Bearer x", "http://", "https://x",
    "javascript:alert(1)", "x@y", "\n\n\n", "\t",
    "A".padding(toLength: 300, withPad: "Z", startingAt: 0),
    "MQ==", "bWFsZm9ybWVk", "eyJvcmRlciI6InRpdGxlIiwia2V5IjoiIn0=",
    "MTo5MjIzMzcyMDM2ODU0Nzc1ODA3Ong=",
  ]

  /// A changed copy of `bytes` (a serialized request of some method).
  mutating func mutate(_ bytes: [UInt8], depth: Int = 0) -> [UInt8] {
    guard var fields = Self.parse(bytes), depth < 4 else { return flip(bytes) }
    let steps = 1 + below(3)
    for _ in 0..<steps {
      switch below(10) {
      case 0, 1, 2:
        if !fields.isEmpty {
          let index = below(fields.count)
          fields[index].value = mutate(fields[index].value, depth: depth)
        }
      case 3:
        // A huge repeated field: one field many times.
        if let field = fields.randomElement(using: &random) {
          let size = Self.serialize([field]).count
          let copies = min(Self.sizeLimit / max(1, size), [10, 1000, 100_000][below(3)])
          fields += Array(repeating: field, count: copies)
        }
      case 4:
        // An unknown or duplicated field number with some value.
        let number = [UInt64(1), 2, 3, 15, 16, 99, 536_870_911][below(7)]
        fields.append(Field(number: number, value: randomValue()))
      case 5:
        if !fields.isEmpty { fields.remove(at: below(fields.count)) }
      case 6:
        if fields.count > 1 { fields.shuffle(using: &random) }
      default:
        if !fields.isEmpty {
          let index = below(fields.count)
          fields[index].value = randomValue(like: fields[index].value)
        }
      }
    }
    var out = Self.serialize(fields)
    if out.count > Self.sizeLimit { out = Array(out.prefix(Self.sizeLimit)) }
    return out
  }

  mutating func mutate(_ value: Value, depth: Int) -> Value {
    switch value {
    case .bytes(let bytes):
      // A nested message (or packed numbers, or text): change it in turn, or replace it.
      if chance(50), Self.parse(bytes) != nil, !bytes.isEmpty {
        return .bytes(mutate(bytes, depth: depth + 1))
      }
      return randomValue(like: value)
    default:
      return randomValue(like: value)
    }
  }

  mutating func randomValue(like value: Value? = nil) -> Value {
    switch value {
    case .varint?: return .varint(extremeInteger())
    case .fixed64?:
      return .fixed64(
        chance(70)
          ? Self.extremeDoubles[below(Self.extremeDoubles.count)].bitPattern : extremeInteger())
    case .fixed32?: return .fixed32(UInt32(truncatingIfNeeded: extremeInteger()))
    case .bytes?: return .bytes(randomBytesValue())
    case nil:
      switch below(4) {
      case 0: return .varint(extremeInteger())
      case 1: return .fixed64(Self.extremeDoubles[below(Self.extremeDoubles.count)].bitPattern)
      case 2: return .fixed32(UInt32(truncatingIfNeeded: random.next()))
      default: return .bytes(randomBytesValue())
      }
    }
  }

  mutating func extremeInteger() -> UInt64 {
    chance(80) ? Self.extremeIntegers[below(Self.extremeIntegers.count)] : random.next()
  }

  /// Long, odd or random text and bytes.
  mutating func randomBytesValue() -> [UInt8] {
    switch below(6) {
    case 0: return Array(Self.oddTexts[below(Self.oddTexts.count)].utf8)
    case 1:
      // Long text: up to a megabyte of one letter, or of combining marks.
      let length = [100, 10_000, 1_000_000][below(3)]
      let unit = chance(50) ? "x" : "e\u{301}"
      return Array(String(repeating: unit, count: length / unit.utf8.count).utf8)
    case 2:
      // Bytes that are not UTF-8 at all.
      return (0..<(1 + below(64))).map { _ in UInt8(0x80 + below(0x80)) }
    case 3:
      // A page token or cursor in the services' own shapes, with a bogus inside.
      let inside = ["u:", "1:", "r:", ""][below(4)] + Self.oddTexts[below(Self.oddTexts.count)]
      return Array(Data(inside.utf8).base64EncodedString().utf8)
    case 4: return (0..<below(256)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
    default: return []
    }
  }

  /// Some bytes flipped, cut or appended: mostly not a message any more.
  mutating func flip(_ bytes: [UInt8]) -> [UInt8] {
    var out = bytes
    switch below(3) {
    case 0:
      for _ in 0..<(1 + below(4)) where !out.isEmpty {
        out[below(out.count)] ^= UInt8(1 << below(8))
      }
    case 1: out = Array(out.prefix(below(out.count + 1)))
    default: out += (0..<(1 + below(16))).map { _ in UInt8(truncatingIfNeeded: random.next()) }
    }
    return out
  }

  /// Arbitrary bytes, for the decoder itself.
  mutating func randomInput() -> [UInt8] {
    (0..<below(512)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
  }
}

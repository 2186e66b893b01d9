/// The on-disk form of an `AggregateState` (a rollup cell): fixed-width little-endian fields,
/// then each sketch store as offset, length and varint counts. Compact (an hour of minute data
/// is ~150 bytes) and decoded without allocation beyond the stores. I/O-free.
public enum StateCodec {
  static let version: UInt8 = 1

  public static func encode(_ state: AggregateState) -> [UInt8] {
    var out: [UInt8] = []
    out.reserveCapacity(
      112 + state.sketch.positiveStore.counts.count + state.sketch.negativeStore.counts.count)
    out.append(version)
    put(&out, state.count)
    put(&out, state.sum.bitPattern)
    put(&out, state.minimum.bitPattern)
    put(&out, state.maximum.bitPattern)
    put(&out, state.mean.bitPattern)
    put(&out, state.m2.bitPattern)
    put(&out, UInt64(bitPattern: state.firstTime))
    put(&out, state.firstValue.bitPattern)
    put(&out, UInt64(bitPattern: state.lastTime))
    put(&out, state.lastValue.bitPattern)
    put(&out, state.sketch.relativeAccuracy.bitPattern)
    put(&out, state.sketch.zeroCount)
    putStore(&out, state.sketch.positiveStore)
    putStore(&out, state.sketch.negativeStore)
    return out
  }

  public struct Malformed: Error, CustomStringConvertible {
    public var description: String { "malformed rollup state" }
  }

  public static func decode(_ bytes: [UInt8]) throws -> AggregateState {
    try bytes.withUnsafeBytes { buffer in try decode(buffer) }
  }

  public static func decode(_ bytes: UnsafeRawBufferPointer) throws(Malformed) -> AggregateState {
    var reader = Reader(bytes: bytes)
    guard try reader.byte() == version else { throw Malformed() }
    let count = try reader.word()
    let sum = Double(bitPattern: try reader.word())
    let minimum = Double(bitPattern: try reader.word())
    let maximum = Double(bitPattern: try reader.word())
    let mean = Double(bitPattern: try reader.word())
    let m2 = Double(bitPattern: try reader.word())
    let firstTime = Int64(bitPattern: try reader.word())
    let firstValue = Double(bitPattern: try reader.word())
    let lastTime = Int64(bitPattern: try reader.word())
    let lastValue = Double(bitPattern: try reader.word())
    let accuracy = Double(bitPattern: try reader.word())
    let zeroCount = try reader.word()
    let positive = try reader.store()
    let negative = try reader.store()
    guard accuracy > 0, accuracy < 1 else { throw Malformed() }
    var state = AggregateState(relativeAccuracy: accuracy)
    state.count = count
    state.sum = sum
    state.minimum = minimum
    state.maximum = maximum
    state.mean = mean
    state.m2 = m2
    state.firstTime = firstTime
    state.firstValue = firstValue
    state.lastTime = lastTime
    state.lastValue = lastValue
    state.sketch = QuantileSketch(
      relativeAccuracy: accuracy, positive: positive, negative: negative, zeroCount: zeroCount)
    return state
  }

  static func put(_ out: inout [UInt8], _ value: UInt64) {
    withUnsafeBytes(of: value.littleEndian) { out.append(contentsOf: $0) }
  }

  static func putStore(_ out: inout [UInt8], _ store: BucketStore) {
    put(&out, UInt64(UInt32(bitPattern: store.offset)) | UInt64(store.counts.count) << 32)
    for var count in store.counts {
      while count >= 0x80 {
        out.append(UInt8(truncatingIfNeeded: count) | 0x80)
        count >>= 7
      }
      out.append(UInt8(count))
    }
  }

  struct Reader {
    let bytes: UnsafeRawBufferPointer
    var position = 0

    mutating func byte() throws(Malformed) -> UInt8 {
      guard position < bytes.count else { throw Malformed() }
      defer { position += 1 }
      return bytes[position]
    }

    mutating func word() throws(Malformed) -> UInt64 {
      guard position + 8 <= bytes.count else { throw Malformed() }
      defer { position += 8 }
      return UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: position, as: UInt64.self))
    }

    mutating func varint() throws(Malformed) -> UInt64 {
      var value: UInt64 = 0
      var shift: UInt64 = 0
      while true {
        let next = try byte()
        value |= UInt64(next & 0x7f) << shift
        if next < 0x80 { return value }
        shift += 7
        guard shift < 64 else { throw Malformed() }
      }
    }

    mutating func store() throws(Malformed) -> BucketStore {
      let header = try word()
      let length = Int(header >> 32)
      guard length <= bytes.count - position else { throw Malformed() }
      var store = BucketStore()
      store.offset = Int32(bitPattern: UInt32(truncatingIfNeeded: header))
      store.counts.reserveCapacity(length)
      for _ in 0..<length { store.counts.append(try varint()) }
      if let first = store.counts.first, let last = store.counts.last, first == 0 || last == 0 {
        throw Malformed()
      }
      if length == 0 { store.offset = 0 }
      return store
    }
  }
}

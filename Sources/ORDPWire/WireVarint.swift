/// Protobuf's base-128 varints, read from raw message bytes (for scanning a message without
/// decoding it: `PackedFieldShape`, the API fuzzer's mutator).
public enum WireVarint {
  /// The varint at `position`, advancing past it; nil when the bytes end first or it runs
  /// over 64 bits.
  @inlinable
  public static func read<Bytes: RandomAccessCollection<UInt8>>(
    _ bytes: Bytes, at position: inout Int
  ) -> UInt64? where Bytes.Index == Int {
    var value: UInt64 = 0
    var shift: UInt64 = 0
    while position < bytes.endIndex, shift < 64 {
      let byte = bytes[position]
      position += 1
      value |= UInt64(byte & 0x7f) << shift
      if byte < 0x80 { return value }
      shift += 7
    }
    return nil
  }
}

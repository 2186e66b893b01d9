import Foundation
import NIOCore

/// Pins an event loop's thread to one CPU (Linux), for steadier A/B comparisons.
enum ThreadPinning {
  struct Failed: Error, CustomStringConvertible {
    var cpu: Int
    var reason: String
    var description: String { "cannot pin a thread to CPU \(cpu): \(reason)" }
  }

  static func pin(_ loop: any EventLoop, to cpu: Int) async throws {
    guard cpu >= 0, cpu < MemoryLayout<cpu_set_t>.size * 8 else {
      throw Failed(cpu: cpu, reason: "no such CPU number")
    }
    try await loop.submit {
      var set = cpu_set_t()  // all zero
      withUnsafeMutableBytes(of: &set) { bytes in
        let words = bytes.bindMemory(to: UInt.self)
        words[cpu / UInt.bitWidth] |= 1 << UInt(cpu % UInt.bitWidth)
      }
      // Glibc's module map leaves out the GNU affinity calls; look the function up instead.
      typealias SetAffinity = @convention(c) (pid_t, Int, UnsafeRawPointer) -> Int32
      guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "sched_setaffinity") else {
        throw Failed(cpu: cpu, reason: "sched_setaffinity is not available")
      }
      let setAffinity = unsafeBitCast(symbol, to: SetAffinity.self)
      // Process id 0: the calling thread.
      let code = withUnsafeBytes(of: &set) { setAffinity(0, $0.count, $0.baseAddress!) }
      if code != 0 { throw Failed(cpu: cpu, reason: String(cString: strerror(errno))) }
    }.get()
  }
}

import Foundation
import ORDPTestSupport
import Testing

/// The deployment folder against the executables as built: systemd units and Kubernetes
/// manifests name the right executables, flags and configuration keys the executables take
/// (each configuration is read by its real executable), ports that agree everywhere, probes
/// with the health protocol, and the secrets and configuration they mount.
@Suite struct DeploymentTests {
  static let components: [(name: String, port: Int, health: String)] = [
    ("identity", 7444, "ordp.identity.v1.Identity"),
    ("catalogue", 7445, "ordp.catalogue.v1.Catalogue"),
    ("analytics", 7446, "ordp.analytics.v1.Analytics"), ("gateway", 7443, ""),
  ]

  static var repository: URL {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url
  }

  /// Runs `executable` with `arguments`: its exit status and standard output.
  static func run(_ executable: String, _ arguments: [String]) throws -> (Int32, String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let output = Pipe()
    process.standardOutput = output
    process.standardError = FileHandle.nullDevice
    try process.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
  }

  /// `key = value` settings of a configuration file's text.
  static func settings(_ text: String) -> [String: String] {
    var settings: [String: String] = [:]
    for line in text.split(separator: "\n") {
      let line = line.trimmingCharacters(in: .whitespaces)
      guard !line.hasPrefix("#"), let equals = line.firstIndex(of: "=") else { continue }
      settings[line[..<equals].trimmingCharacters(in: .whitespaces)] =
        line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
    }
    return settings
  }

  /// Whether the real executable reads `configuration` (its keys are its options).
  static func accepts(_ component: String, configuration text: String) throws -> Bool {
    let file = FileManager.default.temporaryDirectory.appendingPathComponent(
      "ordp-deploy-\(UUID().uuidString).conf")
    try text.write(to: file, atomically: true, encoding: .utf8)
    defer { try? FileManager.default.removeItem(at: file) }
    let executable = productsDirectory.appendingPathComponent("ordp-\(component)").path
    return try run(executable, ["--config", file.path, "--help"]).0 == 0
  }

  @Test func systemdUnitsRunTheExecutablesWithConfigurationsTheyRead() throws {
    var ports: [String: Int] = [:]
    for (name, port, _) in Self.components {
      let folder = Self.repository.appendingPathComponent("deploy/systemd")
      let unit = try String(
        contentsOf: folder.appendingPathComponent("ordp-\(name).service"), encoding: .utf8)
      var keys: [String: String] = [:]
      for line in unit.split(separator: "\n") where !line.hasPrefix("#") {
        guard let equals = line.firstIndex(of: "=") else { continue }
        keys[String(line[..<equals])] = String(line[line.index(after: equals)...])
      }
      #expect(keys["ExecStart"] == "/usr/local/bin/ordp-\(name) --config /etc/ordp/\(name).conf")
      #expect(keys["StateDirectory"] == "ordp/\(name)" && keys["User"] == "ordp")
      for (key, value) in [
        ("NoNewPrivileges", "yes"), ("ProtectSystem", "strict"), ("CapabilityBoundingSet", ""),
        ("PrivateTmp", "yes"), ("KillSignal", "SIGTERM"), ("Restart", "on-failure"),
      ] {
        #expect(keys[key] == value, "ordp-\(name).service: \(key)")
      }
      // Draining takes up to 30 s: systemd waits longer before it kills.
      #expect((Int(keys["TimeoutStopSec"] ?? "") ?? 0) > 30)
      let text = try String(
        contentsOf: folder.appendingPathComponent("\(name).conf"), encoding: .utf8)
      #expect(try Self.accepts(name, configuration: text), "\(name).conf")
      let settings = Self.settings(text)
      #expect(settings["port"] == "\(port)")
      if name != "gateway" { #expect(settings["data-dir"] == "/var/lib/ordp/\(name)") }
      ports[name] = Int(settings["port"] ?? "")
    }
    // The gateway and the services reach each other where they listen.
    let gateway = Self.settings(
      try String(
        contentsOf: Self.repository.appendingPathComponent("deploy/systemd/gateway.conf"),
        encoding: .utf8))
    #expect(gateway["catalogue-backends"] == "127.0.0.1:\(ports["catalogue"] ?? 0)")
    #expect(gateway["analytics-backends"] == "127.0.0.1:\(ports["analytics"] ?? 0)")
    #expect(gateway["identity-port"] == "\(ports["identity"] ?? 0)")
  }

  @Test func kubernetesManifestsAgreeWithTheExecutables() throws {
    let python = Self.repository.appendingPathComponent(".build/python/bin/python").path
    try #require(FileManager.default.isExecutableFile(atPath: python), "scripts/install-deps.sh")
    let folder = Self.repository.appendingPathComponent("deploy/kubernetes")
    func documents(_ file: String) throws -> [[String: Any]] {
      let (status, json) = try Self.run(
        python,
        [
          "-c",
          "import json, sys, yaml; print(json.dumps([d for d in yaml.safe_load_all(open(sys.argv[1])) if d]))",
          folder.appendingPathComponent(file).path,
        ])
      try #require(status == 0, "\(file) is not YAML")
      return try #require(JSONSerialization.jsonObject(with: Data(json.utf8)) as? [[String: Any]])
    }
    let config = try #require(try documents("config.yaml").first)
    #expect(config["kind"] as? String == "ConfigMap")
    let configName = (config["metadata"] as? [String: Any])?["name"] as? String
    let configData = try #require(config["data"] as? [String: String])
    let secret = try #require(try documents("tls-secret.example.yaml").first)
    let secretName = (secret["metadata"] as? [String: Any])?["name"] as? String
    let secretFiles = Set((secret["stringData"] as? [String: String] ?? [:]).keys)
    let healthCheck = productsDirectory.appendingPathComponent("ordp-health-check").path
    #expect(FileManager.default.isExecutableFile(atPath: healthCheck))
    var services: [String: Int] = [:]

    for (name, port, health) in Self.components {
      let all = try documents("\(name).yaml")
      let workload = try #require(
        all.first { ["StatefulSet", "Deployment"].contains($0["kind"] as? String) })
      let service = try #require(all.first { $0["kind"] as? String == "Service" })
      #expect(workload["kind"] as? String == (name == "gateway" ? "Deployment" : "StatefulSet"))
      let pod = try #require(
        ((workload["spec"] as? [String: Any])?["template"] as? [String: Any])?["spec"]
          as? [String: Any])
      let container = try #require((pod["containers"] as? [[String: Any]])?.first)
      #expect(container["command"] as? [String] == ["/usr/local/bin/ordp-\(name)"])
      let args = try #require(container["args"] as? [String])
      #expect(args == ["--config", "/etc/ordp/config/\(name).conf"])
      // The configuration it mounts is one its executable reads; the environment's keys too.
      let text = try #require(configData["\(name).conf"])
      var withEnvironment = text
      for variable in container["env"] as? [[String: Any]] ?? [] {
        let key = try #require(variable["name"] as? String)
        #expect(key.hasPrefix("ORDP_\(name.uppercased())_"))
        let option = key.dropFirst("ORDP_\(name.uppercased())_".count).lowercased()
          .replacingOccurrences(of: "_", with: "-")
        withEnvironment += "\n\(option) = \(variable["value"] as? String ?? "")"
      }
      #expect(try Self.accepts(name, configuration: withEnvironment), "\(name).conf and env")
      let settings = Self.settings(text)
      #expect(settings["port"] == "\(port)")
      // TLS files are in the secret; configuration and secret are the ones defined.
      for (key, value) in settings where value.hasPrefix("/etc/ordp/tls/") {
        #expect(secretFiles.contains(String(value.dropFirst("/etc/ordp/tls/".count))), "\(key)")
      }
      let volumes = pod["volumes"] as? [[String: Any]] ?? []
      #expect(
        volumes.contains { ($0["configMap"] as? [String: Any])?["name"] as? String == configName })
      #expect(
        volumes.contains {
          ($0["secret"] as? [String: Any])?["secretName"] as? String == secretName
        })
      // The container's port, the Service's and the probes' are the one it listens on.
      let containerPorts = container["ports"] as? [[String: Any]] ?? []
      #expect(
        containerPorts.contains {
          $0["name"] as? String == "ordp" && $0["containerPort"] as? Int == port
        })
      let servicePorts = (service["spec"] as? [String: Any])?["ports"] as? [[String: Any]] ?? []
      #expect(
        servicePorts.contains {
          $0["port"] as? Int == port && $0["targetPort"] as? String == "ordp"
        })
      #expect((service["metadata"] as? [String: Any])?["name"] as? String == "ordp-\(name)")
      services["ordp-\(name)"] = port
      for probe in ["readinessProbe", "livenessProbe"] {
        let command = try #require(
          ((container[probe] as? [String: Any])?["exec"] as? [String: Any])?["command"]
            as? [String])
        #expect(command.first == "/usr/local/bin/ordp-health-check", "\(name) \(probe)")
        let flags = Dictionary(
          stride(from: 1, to: command.count - 1, by: 2).map { (command[$0], command[$0 + 1]) },
          uniquingKeysWith: { a, _ in a })
        #expect(flags["--port"] == "\(port)")
        #expect(flags["--service"] == (health.isEmpty ? nil : health))
        for (flag, value) in flags where value.hasPrefix("/etc/ordp/tls/") {
          #expect(secretFiles.contains(String(value.dropFirst("/etc/ordp/tls/".count))), "\(flag)")
        }
      }
      let resources = container["resources"] as? [String: Any]
      #expect(resources?["requests"] != nil && resources?["limits"] != nil)
    }
    // The gateway reaches the services by their Services' names and ports.
    let gateway = Self.settings(configData["gateway.conf"] ?? "")
    #expect(gateway["catalogue-backends"] == "ordp-catalogue:\(services["ordp-catalogue"] ?? 0)")
    #expect(gateway["analytics-backends"] == "ordp-analytics:\(services["ordp-analytics"] ?? 0)")
    #expect(gateway["identity-host"] == "ordp-identity")
    #expect(gateway["identity-port"] == "\(services["ordp-identity"] ?? 0)")
  }
}

import ArgumentParser
import Foundation
import ORDPServiceKit
import Testing

/// Settings from a file, then the environment, then the command line, each overriding the
/// one before.
@Suite struct ExecutableSettingsTests {
  struct Example: ParsableCommand {
    @OptionGroup var server: ServerOptions
    @Option var member: [String] = []
    @Option var adminPassword: String?
    @Option var adminPasswordFile: String?
  }

  static func file(_ text: String) throws -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent(
      "ordp-settings-\(UUID().uuidString).conf"
    ).path
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    return path
  }

  @Test func theCommandLineBeatsTheEnvironmentWhichBeatsTheFile() throws {
    let path = try Self.file(
      """
      # the catalogue of Soest's test system
      port = 1
      tls-cert = "/etc/ordp/tls/cert one.pem"
      access-log = false
      plaintext = true
      member = a
      member = b
      log-level = debug
      """)
    let settings = try ExecutableSettings(
      command: Example.self, name: "test", commandLine: ["--config", path, "--port", "3"],
      environment: ["ORDP_TEST_PORT": "2", "ORDP_TEST_LOG_LEVEL": "error", "ORDP_OTHER_PORT": "9"])
    let parsed = try Example.parse(settings.arguments)
    #expect(parsed.server.port == 3)
    #expect(parsed.server.logLevel == "error")
    #expect(parsed.server.tlsCert == "/etc/ordp/tls/cert one.pem")
    #expect(parsed.server.accessLog == false && parsed.server.plaintext)
    #expect(parsed.member == ["a", "b"])
    #expect(
      settings.settings.map(\.source).suffix(4) == [
        "ORDP_TEST_LOG_LEVEL", "ORDP_TEST_PORT", "command line", "command line",
      ])
    // Without the flag, the environment's port; the file named by the environment.
    let fromEnvironment = try ExecutableSettings(
      command: Example.self, name: "test", commandLine: [],
      environment: ["ORDP_TEST_CONFIG": path, "ORDP_TEST_PORT": "2"])
    let second = try Example.parse(fromEnvironment.arguments)
    #expect(second.server.port == 2 && second.server.logLevel == "debug")
  }

  @Test func mistakesNameWhereTheyAre() throws {
    let unknown = try Self.file("port = 1\nprot = 2\n")
    #expect {
      try ExecutableSettings(
        command: Example.self, name: "test", commandLine: ["--config", unknown], environment: [:])
    } throws: { "\($0)".contains("\(unknown):2: no option prot") }
    #expect {
      try ExecutableSettings(
        command: Example.self, name: "test", commandLine: [],
        environment: ["ORDP_TEST_PLAINTEXT": "maybe"])
    } throws: { "\($0)".contains("ORDP_TEST_PLAINTEXT: plaintext is a flag") }
    let broken = try Self.file("port 1\n")
    #expect {
      try ExecutableSettings(
        command: Example.self, name: "test", commandLine: ["--config=\(broken)"], environment: [:])
    } throws: { "\($0)".contains("\(broken):1: not key = value") }
    #expect {
      try ExecutableSettings(
        command: Example.self, name: "test", commandLine: ["--config", "/nonexistent/ordp.conf"],
        environment: [:])
    } throws: { "\($0)".contains("cannot read the configuration file /nonexistent/ordp.conf") }
  }

  @Test func theEffectiveConfigurationListsEveryOptionWithItsSource() throws {
    let settings = try ExecutableSettings(
      command: Example.self, name: "test",
      commandLine: ["--port", "7445", "--admin-password", "geheim", "--no-access-log"],
      environment: ["ORDP_TEST_LOG_LEVEL": "debug"])
    let effective = Dictionary(
      uniqueKeysWithValues: settings.effective(Example.self).map { ($0.key, $0) })
    #expect(effective["port"]?.value == "7445" && effective["port"]?.source == "command line")
    #expect(effective["log-level"]?.value == "debug")
    #expect(effective["log-level"]?.source == "ORDP_TEST_LOG_LEVEL")
    #expect(effective["host"]?.value == "127.0.0.1" && effective["host"]?.source == "default")
    #expect(effective["idle-timeout"]?.value == "300.0")
    #expect(effective["access-log"]?.value == "false")
    #expect(effective["plaintext"]?.value == "false" && effective["plaintext"]?.source == "default")
    #expect(effective["tls-cert"]?.value == "(none)")
    #expect(effective["admin-password"]?.value == "***")
    #expect(effective["help"] == nil && effective["config"] == nil)
  }

  @Test func secretsAreMaskedFileNamesAreNot() throws {
    let settings = try ExecutableSettings(
      command: Example.self, name: "test",
      commandLine: ["--admin-password", "geheim", "--admin-password-file", "/run/secret"],
      environment: [:])
    #expect(settings.settings.map(ExecutableSettings.masked) == ["***", "/run/secret"])
  }
}

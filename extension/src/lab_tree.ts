/**
 * "TLS: Start Test Lab": runs `tlsprobe serve --lab --json` as a child of the
 * extension (found like the CLI for probes) and lists its endpoints in a
 * native TreeView (`tlsprobe.lab`) in the TLS container: one row per case
 * with its address and what a correct client does there; per row, copy the
 * address, probe it (in the panel, with the lab CA) and open the index page.
 * The view's description says "running on 127.0.0.1 ports A–B" or "stopped";
 * a failure to start shows as a coded row, like a probe's error.
 *
 * @module
 */
import * as vscode from "vscode";
import {
  CliClientError,
  type CliCommand,
  CliReportedError,
  freeBasePort,
  type LabProcess,
  startLab,
} from "./cli_client.ts";
import {
  labAddress,
  type LabEndpoint,
  type LabIndex,
  labIndexUrl,
  labRow,
  labStatus,
} from "./pure/lab_view.ts";
import type { CliError } from "./pure/report.ts";
import { plainMessage } from "./pure/panel_model.ts";
import { COMMANDS, CONFIG, LAB_VIEW_ID, setting } from "./constants.ts";

/** The context value of an endpoint row (package.json's `view/item/context` menus test it). */
export const LAB_ENDPOINT_CONTEXT = "tlsprobe.labEndpoint";
/** The index page's row. */
export const LAB_INDEX_CONTEXT = "tlsprobe.labIndex";

/** A row of the lab view. */
export type LabNode =
  | { kind: "index"; index: LabIndex }
  | { kind: "endpoint"; index: LabIndex; endpoint: LabEndpoint }
  | { kind: "starting" }
  | { kind: "error"; error: CliError };

/** How many consecutive ports to look for when choosing a base port (room for new cases). */
const PORT_SPAN = 40;

/** Starts, lists and stops the lab; the TreeView's data provider. */
export class LabController implements vscode.TreeDataProvider<LabNode>, vscode.Disposable {
  static readonly viewType = LAB_VIEW_ID;
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changed.event;
  private lab: LabProcess | undefined;
  private starting: Promise<LabIndex | undefined> | undefined;
  private abort: AbortController | undefined;
  private error: CliError | undefined;
  view: vscode.TreeView<LabNode> | undefined;

  /**
   * @param findCli how probes find the CLI (setting, PATH, bundled, repository; trust rules)
   * @param probe fills the panel's form with a request and runs it
   */
  constructor(
    private readonly findCli: () => CliCommand,
    private readonly probe: (
      target: string,
      caFile: string,
    ) => Promise<unknown>,
  ) {}

  /** The running lab's index, if any. */
  get index(): LabIndex | undefined {
    return this.lab?.index;
  }

  /** The last failure to start, if the lab is not running. */
  get lastError(): CliError | undefined {
    return this.error;
  }

  private refresh(): void {
    if (this.view) {
      this.view.description = this.starting ? "starting…" : labStatus(this.lab?.index);
      this.view.message = this.error
        ? `Could not start the test lab: ${this.error.code}`
        : undefined;
    }
    void vscode.commands.executeCommand(
      "setContext",
      "tlsprobe.labRunning",
      !!this.lab,
    );
    this.changed.fire();
  }

  /**
   * Starts the lab, or reveals it when it runs (or is starting).
   *
   * @returns the index, or undefined when it could not start (the view shows why)
   */
  async start(): Promise<LabIndex | undefined> {
    await this.reveal();
    if (this.lab) return this.lab.index;
    if (this.starting) return await this.starting;
    this.error = undefined;
    this.starting = this.run();
    this.refresh();
    try {
      return await this.starting;
    } finally {
      this.starting = undefined;
      this.refresh();
    }
  }

  private async run(): Promise<LabIndex | undefined> {
    const abort = new AbortController();
    this.abort = abort;
    try {
      const cli = this.findCli();
      const configured = setting<number>(CONFIG.labBasePort, 0);
      // Making the lab's PKI (RSA keys too) takes seconds on a loaded machine.
      const timeoutMs = Math.max(
        60_000,
        setting<number>(CONFIG.timeout, 15000) * 4,
      );
      // A chosen free range can be taken before the lab binds it: try another.
      for (let attempt = 1;; attempt++) {
        const base = configured > 0 ? configured : await freeBasePort(PORT_SPAN);
        try {
          const lab = await startLab(cli, base, {
            timeoutMs,
            signal: abort.signal,
          });
          this.lab = lab;
          void lab.exited.then((code) => {
            if (this.lab !== lab) return;
            this.lab = undefined;
            this.error = {
              code: "LAB_EXITED",
              message: `The test lab stopped by itself (exit ${code}).`,
            };
            this.refresh();
          });
          return lab.index;
        } catch (e) {
          const portBusy = e instanceof CliReportedError &&
            e.error.code === "USAGE" &&
            /in use/.test(e.error.message);
          if (!portBusy || configured > 0 || attempt >= 3) throw e;
        }
      }
    } catch (e) {
      const err = e instanceof CliClientError || e instanceof CliReportedError
        ? e.toCliError()
        : { code: "SPAWN", message: String(e) };
      if (err.code === "CANCELLED") return undefined;
      this.error = err;
      // Not awaited: the view shows the coded error at once, whatever the notification does.
      void vscode.window.showErrorMessage(
        plainMessage(`Test lab: ${err.code}: ${err.message}`),
        ...(err.code === "CLI_NOT_FOUND" ? ["Set tlsprobe.path…"] : []),
      ).then((pick) => {
        if (pick) void vscode.commands.executeCommand(COMMANDS.setCliPath);
      });
      return undefined;
    } finally {
      if (this.abort === abort) this.abort = undefined;
    }
  }

  /** Stops the lab (kills the child and waits for it), or a start in progress. */
  async stop(): Promise<void> {
    this.abort?.abort();
    const lab = this.lab;
    this.lab = undefined;
    this.error = undefined;
    this.refresh();
    await lab?.stop();
  }

  /** Shows the view (opening the TLS container). */
  async reveal(): Promise<void> {
    await vscode.commands.executeCommand(`${LAB_VIEW_ID}.focus`);
  }

  /** Copies an endpoint's address (`127.0.0.1:8442`). */
  async copyAddress(node?: LabNode): Promise<string | undefined> {
    const address = this.addressOf(node);
    if (!address) return undefined;
    await vscode.env.clipboard.writeText(address);
    vscode.window.setStatusBarMessage(`$(clippy) Copied: ${address}`, 4000);
    return address;
  }

  /** Probes an endpoint in the panel, trusting the lab CA. */
  async probeEndpoint(node?: LabNode): Promise<unknown> {
    const address = this.addressOf(node);
    const index = this.lab?.index;
    if (!address || !index) return undefined;
    return await this.probe(address, index.ca);
  }

  /** Opens the index page in the browser. */
  async openIndex(): Promise<boolean> {
    const index = this.lab?.index;
    if (!index) return false;
    return await vscode.env.openExternal(vscode.Uri.parse(labIndexUrl(index)));
  }

  private addressOf(node?: LabNode): string | undefined {
    if (node?.kind === "endpoint" && node.endpoint.port !== null) {
      return labAddress(node.index.host, node.endpoint.port);
    }
    if (node?.kind === "index") {
      return labAddress(node.index.host, node.index.port);
    }
    return undefined;
  }

  getParent(): undefined {
    return undefined;
  }

  getChildren(node?: LabNode): LabNode[] {
    if (node) return [];
    if (this.starting) return [{ kind: "starting" }];
    if (this.error) return [{ kind: "error", error: this.error }];
    const index = this.lab?.index;
    if (!index) return [];
    return [
      { kind: "index", index },
      ...index.endpoints.map((endpoint) => ({
        kind: "endpoint" as const,
        index,
        endpoint,
      })),
    ];
  }

  getTreeItem(node: LabNode): vscode.TreeItem {
    switch (node.kind) {
      case "starting": {
        const item = new vscode.TreeItem("Starting the test lab…");
        item.iconPath = new vscode.ThemeIcon("loading~spin");
        return item;
      }
      case "error": {
        // Coded like a probe's failure: the code first, then what to do.
        const item = new vscode.TreeItem(node.error.code);
        item.id = "lab-error";
        item.description = node.error.message;
        item.tooltip = `${node.error.code}: ${node.error.message}`;
        item.iconPath = new vscode.ThemeIcon(
          "error",
          new vscode.ThemeColor("testing.iconFailed"),
        );
        item.accessibilityInformation = {
          label: `Test lab failed: ${node.error.code}: ${node.error.message}`,
        };
        return item;
      }
      case "index": {
        const url = labIndexUrl(node.index);
        const item = new vscode.TreeItem("index page");
        item.id = "lab-index";
        item.description = `${
          labAddress(node.index.host, node.index.port)
        } · lab CA ${node.index.ca}`;
        item.tooltip = `${url}\nTrust the lab CA to test a client: ${node.index.ca}\n` +
          `Client certificate for client-cert-required: ${node.index.dir}/client.pem`;
        item.iconPath = new vscode.ThemeIcon("globe");
        item.contextValue = LAB_INDEX_CONTEXT;
        item.command = {
          command: COMMANDS.labOpenIndex,
          title: "Open Index Page",
          arguments: [node],
        };
        return item;
      }
      case "endpoint": {
        const row = labRow(node.index, node.endpoint);
        const item = new vscode.TreeItem(row.label);
        item.id = `lab-${node.endpoint.name}`;
        item.description = row.description;
        item.tooltip = row.tooltip;
        item.iconPath = !node.endpoint.served
          ? new vscode.ThemeIcon("circle-slash")
          : node.endpoint.expect === "connect"
          ? new vscode.ThemeIcon(
            "pass",
            new vscode.ThemeColor("testing.iconPassed"),
          )
          : new vscode.ThemeIcon(
            "shield",
            new vscode.ThemeColor("testing.iconFailed"),
          );
        item.accessibilityInformation = {
          label: `${row.label}: ${row.tooltip}`,
        };
        item.contextValue = row.address ? LAB_ENDPOINT_CONTEXT : undefined;
        return item;
      }
    }
  }

  /** Stops the lab when the extension deactivates. */
  dispose(): void {
    void this.stop();
  }
}

// Ports and URLs of the stack the suite runs against (global-setup.mjs picks the ports).
const port = (name) => {
  const value = Number(process.env[name]);
  if (!value) throw new Error(`${name} is not set: run the suite through its config`);
  return value;
};

export const PORTS = {
  xyz: port("E2E_XYZ_PORT"),
  abc: port("E2E_ABC_PORT"),
  def: port("E2E_DEF_PORT"),
  example2: port("E2E_EXAMPLE2_PORT"),
  myhealth: port("E2E_MYHEALTH_PORT"),
  idp: port("E2E_IDP_PORT"),
  ghk: port("E2E_GHK_PORT"),
  evil: port("E2E_EVIL_PORT"),
};

export const XYZ = `http://sso.localhost:${PORTS.xyz}`;
export const ABC = `http://abc.localhost:${PORTS.abc}`;
export const DEF = `http://def.localhost:${PORTS.def}`;
export const EXAMPLE2 = `http://example2.localhost:${PORTS.example2}`;
export const EVIL = `http://evil.localhost:${PORTS.evil}`;
export const MYHEALTH = `http://myhealth.localhost:${PORTS.myhealth}`;
export const IDP = `http://idp.localhost:${PORTS.idp}`;
export const GHK = `http://ghk.localhost:${PORTS.ghk}`;
/** Where Node reaches the servers (Node cannot resolve *.localhost). */
export const XYZ_INTERNAL = `http://127.0.0.1:${PORTS.xyz}`;
export const MYHEALTH_INTERNAL = `http://127.0.0.1:${PORTS.myhealth}`;
export const IDP_INTERNAL = `http://127.0.0.1:${PORTS.idp}`;

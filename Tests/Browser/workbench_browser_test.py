#!/usr/bin/python3
"""The workbench in a real browser: headless Chromium (Debian's `chromium` and
`chromium-driver`) driven by Selenium (Debian's `python3-selenium`).

On a copy of Policies/, as an analyst would: open the page, edit a threshold, make a
typo and see its diagnostic at the right line, fix it, try a request in the form and
see `review`, see the replay's flips, run the tests, save, and check the saved folder
with `rescind check`. Run by Tests/RescindCLITests/WorkbenchBrowserTests.swift (so by
`swift test`), or by hand:

    /usr/bin/python3 Tests/Browser/workbench_browser_test.py --binary .build/debug/rescind \
        [--screenshot docs/images/workbench.png]

Exits 0 when every step passed; otherwise prints the step that failed and exits 1.
"""
import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

from selenium import webdriver
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
WAIT = 30  # seconds for any one thing to appear: a debug build on a busy machine is slow


class StepFailed(Exception):
    pass


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_workbench(binary, policies, requests, port, log):
    env = dict(os.environ, RESCIND_TODAY="2026-06-01")
    process = subprocess.Popen(
        [binary, "workbench", "--policies", policies, "--requests", requests, "--port", str(port)],
        stdout=log, stderr=subprocess.STDOUT, env=env)
    deadline = time.time() + WAIT
    while time.time() < deadline:
        if process.poll() is not None:
            raise StepFailed(f"rescind workbench exited with {process.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
                if response.status == 200:
                    return process
        except OSError:
            time.sleep(0.2)
    raise StepFailed("rescind workbench did not answer /healthz")


def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=1440,1000", "--lang=en-US"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(shutil.which("chromedriver") or "/usr/bin/chromedriver"), options=options)


def wait(driver, what, condition):
    try:
        return WebDriverWait(driver, WAIT).until(lambda d: condition(d))
    except TimeoutException:
        raise StepFailed(f"timed out waiting for {what}")


def replace_in_editor(driver, old, new, after=None):
    """Selects `old` in the editor (the first after `after`) and types `new` over it."""
    editor = driver.find_element(By.ID, "editor")
    text = editor.get_property("value")
    start = text.index(after) if after else 0
    index = text.index(old, start)
    driver.execute_script("arguments[0].focus(); arguments[0].setSelectionRange(arguments[1], arguments[2]);",
                          editor, index, index + len(old))
    editor.send_keys(new)
    return text[:index].count("\n") + 1  # the line, 1-based


def check_status(driver):
    return driver.find_element(By.ID, "check-status").get_attribute("class")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--screenshot")
    args = parser.parse_args()
    binary = os.path.abspath(args.binary)

    scratch = tempfile.mkdtemp(prefix="rescind-browser-")
    policies = os.path.join(scratch, "Policies")
    shutil.copytree(os.path.join(ROOT, "Policies"), policies)
    os.symlink(os.path.join(ROOT, "Examples"), os.path.join(scratch, "Examples"))
    requests = os.path.join(ROOT, "Examples", "ci", "sample-requests.jsonl")
    port = free_port()
    log = open(os.path.join(scratch, "workbench.log"), "w")
    process = driver = None
    step = "start"
    try:
        process = start_workbench(binary, policies, requests, port, log)
        driver = browser()

        step = "load the page: the shipped set checks clean"
        driver.get(f"http://127.0.0.1:{port}/#edit")
        wait(driver, "a clean check", lambda d: "ok" in check_status(d).split())
        identity = driver.find_element(By.ID, "policy-identity").text
        if "marketplace-cancellations 2026.12" not in identity:
            raise StepFailed(f"the header shows {identity!r}")

        step = "edit a threshold: the review tier starts at 4 cancellations"
        driver.find_element(By.CSS_SELECTOR, '#file-list li[data-file="abuse-thresholds.yaml"]').click()
        wait(driver, "the file in the editor",
             lambda d: "repeat-canceller" in d.find_element(By.ID, "editor").get_property("value"))
        replace_in_editor(driver, "at_least: 5", "at_least: 4", after="- id: abuse-review")
        wait(driver, "the edited file marked modified",
             lambda d: d.find_elements(By.CSS_SELECTOR, '#file-list li[data-file="abuse-thresholds.yaml"] .modified'))
        wait(driver, "a clean check of the edit", lambda d: "ok" in check_status(d).split())

        step = "a typo is shown at its line"
        line = replace_in_editor(driver, "effect", "efect", after="- id: abuse-review")
        selector = f'#diagnostics li[data-file="abuse-thresholds.yaml"][data-line="{line}"]'
        item = wait(driver, f"a diagnostic at line {line}", lambda d: d.find_elements(By.CSS_SELECTOR, selector))[0]
        rendered = item.text
        if f"abuse-thresholds.yaml:{line}:" not in rendered or "efect" not in rendered:
            raise StepFailed(f"the diagnostic reads {rendered!r}")
        marker = driver.find_element(By.CSS_SELECTOR, f'#gutter .ln[data-line="{line}"]')
        if "error" not in marker.get_attribute("class").split():
            raise StepFailed(f"line {line} of the gutter is not marked: {marker.get_attribute('class')!r}")
        if "error" not in check_status(driver).split() or driver.find_element(By.ID, "save").is_enabled():
            raise StepFailed("a set with an error can be saved")
        if args.screenshot:
            driver.save_screenshot(args.screenshot)

        step = "fix the typo"
        replace_in_editor(driver, "efect", "effect", after="- id: abuse-review")
        wait(driver, "a clean check after the fix", lambda d: "ok" in check_status(d).split())
        wait(driver, "save enabled", lambda d: d.find_element(By.ID, "save").is_enabled())

        step = "try: a buyer with 4 cancellations, entered in the form, is reviewed"
        driver.find_element(By.CSS_SELECTOR, '[data-tab="try"]').click()
        role = Select(wait(driver, "the form", lambda d: d.find_elements(By.CSS_SELECTOR, 'select[data-path="actor.role"]'))[0])
        if [o.text for o in role.options][1:] != ["buyer", "seller", "support", "system"]:
            raise StepFailed(f"actor.role offers {[o.text for o in role.options]!r}")
        driver.find_element(By.ID, "try-mode-json").click()
        with open(os.path.join(ROOT, "Examples", "requests", "abuse-warn.json")) as f:
            example = json.load(f)
        # Three of its cancellations count (Examples/requests/README.md): a fourth makes a review.
        listed = len(example["buyer_history"]["cancellations"])
        box = driver.find_element(By.ID, "request-json")
        driver.execute_script("arguments[0].value = arguments[1];", box, json.dumps(example, indent=2))
        driver.find_element(By.ID, "try-mode-form").click()
        add = driver.find_element(By.CSS_SELECTOR, '[data-add="buyer_history.cancellations"]')
        add.click()
        rows = driver.find_elements(By.CSS_SELECTOR, '[data-array="buyer_history.cancellations"] tr.row')
        if len(rows) != listed + 1:
            raise StepFailed(f"{len(rows)} rows after adding one to {listed}")
        row = rows[-1]
        row.find_element(By.CSS_SELECTOR, '[data-path="order_id"]').send_keys("o-added")
        at = row.find_element(By.CSS_SELECTOR, '[data-path="at"]')
        at.send_keys("yesterday")
        if "invalid" not in at.get_attribute("class").split():
            raise StepFailed("a timestamp that is not RFC 3339 is not flagged as typed")
        at.clear()
        at.send_keys("2026-11-20T08:00:00+08:00")  # a week before the request: it counts
        if "invalid" in at.get_attribute("class").split():
            raise StepFailed("a valid timestamp is flagged")
        Select(row.find_element(By.CSS_SELECTOR, '[data-path="initiator"]')).select_by_value("buyer")
        Select(row.find_element(By.CSS_SELECTOR, '[data-path="reason"]')).select_by_value("changed_mind")
        driver.find_element(By.ID, "try-run").click()
        effect = wait(driver, "a decision", lambda d: d.find_elements(By.ID, "try-effect"))[0]
        if effect.text != "review":
            raise StepFailed(f"the decision is {effect.text!r}, expected review")
        explanation = driver.find_element(By.CSS_SELECTOR, "#try-result .explanation").text
        if "abuse-review" not in explanation:
            raise StepFailed("the explanation does not name abuse-review")

        step = "impact: the replay shows the flips"
        driver.find_element(By.CSS_SELECTOR, '[data-tab="impact"]').click()
        driver.find_element(By.ID, "impact-run").click()
        summary = wait(driver, "the replay's summary",
                       lambda d: d.find_element(By.ID, "impact-summary").get_attribute("data-flips") and
                       d.find_element(By.ID, "impact-summary"))
        if int(summary.get_attribute("data-flips")) < 1:
            raise StepFailed(f"no flips: {summary.text!r}")
        changes = driver.find_element(By.CSS_SELECTOR, "#impact-diff pre").text
        if "tier `abuse-review` of `repeat-canceller` now starts at 4 cancellations (was 5)" not in changes:
            raise StepFailed(f"what changed reads {changes!r}")
        flipped = driver.find_elements(By.CSS_SELECTOR, "#impact-result table.transitions tr.flip")
        if not any("allow → review" in row.text for row in flipped):
            raise StepFailed(f"no allow → review row: {[row.text for row in flipped]!r}")

        step = "tests: the cases run, and a case opens in try"
        driver.find_element(By.CSS_SELECTOR, '[data-tab="tests"]').click()
        driver.find_element(By.ID, "tests-run").click()
        wait(driver, "the test cases", lambda d: d.find_elements(By.CSS_SELECTOR, "#test-cases tr"))
        if "passed" not in driver.find_element(By.ID, "tests-summary").text:
            raise StepFailed(f"the summary reads {driver.find_element(By.ID, 'tests-summary').text!r}")
        driver.find_elements(By.CSS_SELECTOR, "#test-cases .open-in-try")[0].click()
        wait(driver, "the case decided in try", lambda d: d.find_elements(By.ID, "try-effect"))

        step = "save, and the folder checks clean"
        driver.find_element(By.CSS_SELECTOR, '[data-tab="edit"]').click()
        driver.find_element(By.ID, "save").click()
        wait(driver, "the save", lambda d: "abuse-thresholds.yaml" in d.find_element(By.ID, "save-status").text)
        with open(os.path.join(policies, "abuse-thresholds.yaml")) as f:
            saved = f.read()
        review = saved.index("- id: abuse-review")
        if "at_least: 4" not in saved[review:review + 600] or "efect" in saved:
            raise StepFailed("the saved file is not the edited one")
        check = subprocess.run([binary, "check", policies], capture_output=True, text=True,
                               env=dict(os.environ, RESCIND_TODAY="2026-06-01"))
        if check.returncode != 0:
            raise StepFailed(f"rescind check of the saved folder exits {check.returncode}: {check.stdout}{check.stderr}")

        step = "the page logged no error"
        severe = [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]
        if severe:
            raise StepFailed(f"the console has errors: {severe!r}")
        print("workbench in Chromium: every step passed")
        return 0
    except StepFailed as failure:
        print(f"step failed: {step}: {failure}", file=sys.stderr)
        if driver:
            failed_shot = os.path.join(tempfile.gettempdir(), "rescind-workbench-failure.png")
            driver.save_screenshot(failed_shot)
            print(f"screenshot of the page: {failed_shot}", file=sys.stderr)
            for entry in driver.get_log("browser"):
                print(f"console: {entry}", file=sys.stderr)
        log.flush()
        with open(log.name) as f:
            print("workbench log:\n" + f.read()[-4000:], file=sys.stderr)
        return 1
    finally:
        if driver:
            driver.quit()
        if process:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
        log.close()
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
